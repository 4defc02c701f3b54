//! openraft's watch channel on `sandtable::sync::watch`.

use openraft_rt::{watch, OptionalSend, OptionalSync};
use sandtable::sync::watch as sw;

/// The channel family.
pub struct SimWatch;

/// The sending half (cloneable).
pub struct SimWatchSender<T>(sw::Sender<T>);

/// A receiving half; each clone tracks what it has seen.
pub struct SimWatchReceiver<T>(sw::Receiver<T>);

impl<T> Clone for SimWatchSender<T> {
    fn clone(&self) -> Self {
        SimWatchSender(self.0.clone())
    }
}

impl<T> Clone for SimWatchReceiver<T> {
    fn clone(&self) -> Self {
        SimWatchReceiver(self.0.clone())
    }
}

impl watch::Watch for SimWatch {
    type Sender<T: OptionalSend + OptionalSync> = SimWatchSender<T>;
    type Receiver<T: OptionalSend + OptionalSync> = SimWatchReceiver<T>;
    type Ref<'a, T: OptionalSend + 'a> = sw::Ref<'a, T>;

    fn channel<T: OptionalSend + OptionalSync>(init: T) -> (Self::Sender<T>, Self::Receiver<T>) {
        let (tx, rx) = sw::channel(init);
        (SimWatchSender(tx), SimWatchReceiver(rx))
    }
}

impl<T: OptionalSend + OptionalSync> watch::WatchSender<SimWatch, T> for SimWatchSender<T> {
    fn send(&self, value: T) -> Result<(), watch::SendError<T>> {
        self.0.send(value).map_err(|e| watch::SendError(e.0))
    }

    fn send_if_modified<F>(&self, modify: F) -> bool
    where
        F: FnOnce(&mut T) -> bool,
    {
        self.0.send_if_modified(modify)
    }

    fn borrow_watched(&self) -> sw::Ref<'_, T> {
        self.0.borrow()
    }

    fn subscribe(&self) -> SimWatchReceiver<T> {
        SimWatchReceiver(self.0.subscribe())
    }
}

impl<T: OptionalSend + OptionalSync> watch::WatchReceiver<SimWatch, T> for SimWatchReceiver<T> {
    async fn changed(&mut self) -> Result<(), watch::RecvError> {
        self.0.changed().await.map_err(|_| watch::RecvError(()))
    }

    fn borrow_watched(&self) -> sw::Ref<'_, T> {
        self.0.borrow()
    }

    fn borrow_and_update(&mut self) -> sw::Ref<'_, T> {
        self.0.borrow_and_update()
    }
}
