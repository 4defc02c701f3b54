//! openraft's bounded mpsc on `sandtable::sync::mpsc` (tokio-shaped: exact capacity, weak senders).

use std::future::Future;

use openraft_rt::{
    Mpsc, MpscReceiver, MpscSender, MpscWeakSender, OptionalSend, SendError, TryRecvError,
};
use sandtable::sync::mpsc;

/// The channel family.
pub struct SimMpsc;

/// A sender (`send(&self)` waits for capacity).
pub struct SimMpscSender<T>(mpsc::Sender<T>);

/// The receiver.
pub struct SimMpscReceiver<T>(mpsc::Receiver<T>);

/// A sender that does not keep the channel open.
pub struct SimMpscWeakSender<T>(mpsc::WeakSender<T>);

impl<T> Clone for SimMpscSender<T> {
    fn clone(&self) -> Self {
        SimMpscSender(self.0.clone())
    }
}

impl<T> Clone for SimMpscWeakSender<T> {
    fn clone(&self) -> Self {
        SimMpscWeakSender(self.0.clone())
    }
}

impl Mpsc for SimMpsc {
    type Sender<T: OptionalSend> = SimMpscSender<T>;
    type Receiver<T: OptionalSend> = SimMpscReceiver<T>;
    type WeakSender<T: OptionalSend> = SimMpscWeakSender<T>;

    fn channel<T: OptionalSend>(buffer: usize) -> (Self::Sender<T>, Self::Receiver<T>) {
        let (tx, rx) = mpsc::channel(buffer);
        (SimMpscSender(tx), SimMpscReceiver(rx))
    }
}

impl<T: OptionalSend> MpscSender<SimMpsc, T> for SimMpscSender<T> {
    fn send(&self, msg: T) -> impl Future<Output = Result<(), SendError<T>>> + OptionalSend {
        let sent = self.0.send(msg);
        async move { sent.await.map_err(|e| SendError(e.0)) }
    }

    fn downgrade(&self) -> SimMpscWeakSender<T> {
        SimMpscWeakSender(self.0.downgrade())
    }
}

impl<T: OptionalSend> MpscReceiver<T> for SimMpscReceiver<T> {
    fn recv(&mut self) -> impl Future<Output = Option<T>> + OptionalSend {
        self.0.recv()
    }

    fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.0.try_recv().map_err(|e| match e {
            mpsc::TryRecvError::Empty => TryRecvError::Empty,
            mpsc::TryRecvError::Disconnected => TryRecvError::Disconnected,
        })
    }
}

impl<T: OptionalSend> MpscWeakSender<SimMpsc, T> for SimMpscWeakSender<T> {
    fn upgrade(&self) -> Option<SimMpscSender<T>> {
        self.0.upgrade().map(SimMpscSender)
    }
}
