//! openraft 0.9's oneshot sender on `sandtable::sync::oneshot`.

use openraft::async_runtime::AsyncOneshotSendExt;

/// The sending half of the runtime's oneshot channel.
pub struct SimOneshotSender<T>(pub(crate) sandtable::sync::oneshot::Sender<T>);

impl<T> AsyncOneshotSendExt<T> for SimOneshotSender<T> {
    fn send(self, t: T) -> Result<(), T> {
        self.0.send(t)
    }
}

impl<T> std::fmt::Debug for SimOneshotSender<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimOneshotSender").finish_non_exhaustive()
    }
}
