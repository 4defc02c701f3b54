//! Nodes written as message handlers (sans-IO actors, after stateright's `actor` module).
//!
//! An [`Actor`] reacts to three events — start, message, timer — and says what it wants done by
//! pushing commands into its [`Ctx`]: send a message, set or cancel a named timer. It never
//! touches sockets or clocks itself, so the same actor can be driven by the simulator (with
//! [`run`] as a node's init), by a unit test that calls its handlers directly and inspects the
//! commands, or later by a real-network runtime.
//!
//! ```
//! use std::time::Duration;
//! use sandtable::actor::{self, Actor, Ctx};
//! use sandtable::prelude::*;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Clone, Debug, Serialize, Deserialize)]
//! enum Msg { Ping, Pong }
//!
//! struct Pinger { peer: &'static str, pongs: std::rc::Rc<std::cell::Cell<u32>> }
//!
//! impl Actor for Pinger {
//!     type Msg = Msg;
//!     type Timer = ();
//!     fn on_start(&mut self, ctx: &mut Ctx<Self>) {
//!         ctx.set_timer((), Duration::from_millis(100));
//!     }
//!     fn on_message(&mut self, from: &str, msg: Msg, ctx: &mut Ctx<Self>) {
//!         match msg {
//!             Msg::Ping => ctx.send(from, Msg::Pong),
//!             Msg::Pong => self.pongs.set(self.pongs.get() + 1),
//!         }
//!     }
//!     fn on_timer(&mut self, _: (), ctx: &mut Ctx<Self>) {
//!         ctx.send(self.peer, Msg::Ping);
//!         ctx.set_timer((), Duration::from_millis(100));
//!     }
//! }
//!
//! let sim = Sim::new(1);
//! let pongs = std::rc::Rc::new(std::cell::Cell::new(0));
//! for (me, peer) in [("a", "b"), ("b", "a")] {
//!     let pongs = pongs.clone();
//!     sim.add_node(me, move || actor::run(Pinger { peer, pongs: pongs.clone() }));
//! }
//! sim.run_for(Duration::from_millis(1_050)).unwrap();
//! assert_eq!(pongs.get(), 20); // each node pinged 10 times, every pong came back
//! ```

mod ctx;
mod driver;

pub use ctx::{Command, Ctx};
pub use driver::{run, run_on, ACTOR_PORT};

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A node's protocol as event handlers. Handlers must not block or await: they decide, the
/// driver acts.
pub trait Actor: Sized + 'static {
    /// The messages actors of this kind exchange (encoded with bincode on the wire).
    type Msg: Serialize + DeserializeOwned + Debug;
    /// Names of this actor's timers; setting a timer that is already set moves it.
    type Timer: Clone + Debug + PartialEq;

    /// Called once when the node starts (and again after every restart: memory is fresh).
    fn on_start(&mut self, ctx: &mut Ctx<Self>);

    /// Called for each message that arrives; `from` is the sending node's name.
    fn on_message(&mut self, from: &str, msg: Self::Msg, ctx: &mut Ctx<Self>);

    /// Called when a timer set with [`Ctx::set_timer`] fires.
    fn on_timer(&mut self, timer: Self::Timer, ctx: &mut Ctx<Self>);

    /// Called when a datagram arrives that does not decode as `Msg`. Default: ignore it.
    fn on_bad_message(&mut self, from: &str, error: &str, ctx: &mut Ctx<Self>) {
        let _ = (from, error, ctx);
    }
}
