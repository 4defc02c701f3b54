//! openraft's oneshot on `sandtable::sync::oneshot`.

use openraft_rt::{oneshot, OneshotSender, OptionalSend};
use sandtable::sync::oneshot as so;

/// The channel family.
pub struct SimOneshot;

/// The sending half.
pub struct SimOneshotSender<T>(so::Sender<T>);

impl oneshot::Oneshot for SimOneshot {
    type Sender<T: OptionalSend> = SimOneshotSender<T>;
    type Receiver<T: OptionalSend> = so::Receiver<T>;
    type ReceiverError = so::Canceled;

    fn channel<T: OptionalSend>() -> (Self::Sender<T>, Self::Receiver<T>) {
        let (tx, rx) = so::channel();
        (SimOneshotSender(tx), rx)
    }
}

impl<T: OptionalSend> OneshotSender<T> for SimOneshotSender<T> {
    fn send(self, t: T) -> Result<(), T> {
        self.0.send(t)
    }
}
