//! What an actor's handler sees and says: the clock, its name, and the commands it issues.

use std::time::Duration;

use super::Actor;
use crate::time::Instant;

/// What a handler asks the driver to do.
pub enum Command<A: Actor> {
    /// Send `msg` to the node called `to`.
    Send {
        /// The receiving node's name.
        to: String,
        /// The message.
        msg: A::Msg,
    },
    /// Fire `timer` after `after` (replacing it if it is set).
    SetTimer {
        /// The timer's name.
        timer: A::Timer,
        /// Delay from now, on this node's clock.
        after: Duration,
    },
    /// Cancel `timer` if it is set.
    CancelTimer {
        /// The timer's name.
        timer: A::Timer,
    },
}

impl<A: Actor> PartialEq for Command<A>
where
    A::Msg: PartialEq,
{
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Command::Send { to: a, msg: m }, Command::Send { to: b, msg: n }) => a == b && m == n,
            (
                Command::SetTimer { timer: a, after: x },
                Command::SetTimer { timer: b, after: y },
            ) => a == b && x == y,
            (Command::CancelTimer { timer: a }, Command::CancelTimer { timer: b }) => a == b,
            _ => false,
        }
    }
}

impl<A: Actor> std::fmt::Debug for Command<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Send { to, msg } => write!(f, "Send {{ to: {to:?}, msg: {msg:?} }}"),
            Command::SetTimer { timer, after } => {
                write!(f, "SetTimer {{ timer: {timer:?}, after: {after:?} }}")
            }
            Command::CancelTimer { timer } => write!(f, "CancelTimer {{ timer: {timer:?} }}"),
        }
    }
}

/// A handler's view of the world: the time, its own name, and a buffer of commands.
pub struct Ctx<A: Actor> {
    me: String,
    now: Instant,
    pub(crate) commands: Vec<Cmd<A>>,
}

/// The driver's internal command (no `PartialEq` bound on messages needed).
pub(crate) enum Cmd<A: Actor> {
    Send(String, A::Msg),
    SetTimer(A::Timer, Duration),
    CancelTimer(A::Timer),
}

impl<A: Actor> Ctx<A> {
    /// A context for node `me` at time `now` (drivers and unit tests build these).
    pub fn new(me: impl Into<String>, now: Instant) -> Self {
        Ctx {
            me: me.into(),
            now,
            commands: Vec::new(),
        }
    }

    /// This node's name.
    pub fn me(&self) -> &str {
        &self.me
    }

    /// This node's clock when the event was delivered.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Sends `msg` to the node called `to`.
    pub fn send(&mut self, to: &str, msg: A::Msg) {
        self.commands.push(Cmd::Send(to.to_string(), msg));
    }

    /// Sends a copy of `msg` to each of `to`.
    pub fn broadcast<'a>(&mut self, to: impl IntoIterator<Item = &'a str>, msg: &A::Msg)
    where
        A::Msg: Clone,
    {
        for peer in to {
            self.send(peer, msg.clone());
        }
    }

    /// Fires `timer` after `after` on this node's clock; a timer of that name already set is
    /// moved.
    pub fn set_timer(&mut self, timer: A::Timer, after: Duration) {
        self.commands.push(Cmd::SetTimer(timer, after));
    }

    /// Cancels `timer` if it is set.
    pub fn cancel_timer(&mut self, timer: A::Timer) {
        self.commands.push(Cmd::CancelTimer(timer));
    }

    /// The commands issued so far, as data (for unit tests of an actor).
    pub fn commands(&self) -> Vec<Command<A>>
    where
        A::Msg: Clone + PartialEq,
    {
        self.commands
            .iter()
            .map(|c| match c {
                Cmd::Send(to, msg) => Command::Send {
                    to: to.clone(),
                    msg: msg.clone(),
                },
                Cmd::SetTimer(timer, after) => Command::SetTimer {
                    timer: timer.clone(),
                    after: *after,
                },
                Cmd::CancelTimer(timer) => Command::CancelTimer {
                    timer: timer.clone(),
                },
            })
            .collect()
    }
}
