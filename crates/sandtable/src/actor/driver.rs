//! Runs an actor as a node's task: one datagram socket, the actor's named timers, and a loop
//! that turns arrivals and timer firings into handler calls and carries out the commands.

use std::net::SocketAddr;

use futures::future::{select, Either};

use super::ctx::{Cmd, Ctx};
use super::Actor;
use crate::context;
use crate::net::{decode, encode, socket::resolve, UdpSocket};
use crate::time::{sleep_until, Instant};

/// The port [`run`] binds on every node.
pub const ACTOR_PORT: u16 = 4_000;

/// Runs `actor` on the current node, bound to [`ACTOR_PORT`]. Use it as a node's init:
/// `sim.add_node("n1", || actor::run(MyActor::new()))`. Never returns.
pub async fn run<A: Actor>(actor: A) {
    run_on(ACTOR_PORT, actor).await
}

/// Like [`run`], on another port (all actors that talk to each other must use the same one).
pub async fn run_on<A: Actor>(port: u16, mut actor: A) {
    let socket = UdpSocket::bind(std::net::SocketAddr::from(([0, 0, 0, 0], port)))
        .await
        .unwrap_or_else(|e| panic!("actor: cannot bind port {port}: {e}"));
    let me = context::with("sandtable::actor::run", |w| {
        w.current
            .get()
            .map(|n| w.name_of(n).to_string())
            .expect("actor::run runs in a node's task")
    });
    let mut driver = Driver::<A> {
        me,
        port,
        timers: Vec::new(),
        seq: 0,
    };
    let mut ctx = driver.ctx();
    actor.on_start(&mut ctx);
    driver.apply(&socket, ctx).await;
    loop {
        let next = driver.next_timer();
        let event = {
            let recv = socket.recv_vec();
            let timer = async move {
                match next {
                    Some(deadline) => sleep_until(deadline).await,
                    None => std::future::pending().await,
                }
            };
            futures::pin_mut!(recv, timer);
            match select(recv, timer).await {
                Either::Left((arrived, _)) => Some(arrived),
                Either::Right(((), _)) => None,
            }
        };
        let mut ctx = driver.ctx();
        match event {
            Some(Ok((bytes, from))) => {
                let from = sender_name(from);
                match decode::<A::Msg>(&bytes) {
                    Ok(msg) => actor.on_message(&from, msg, &mut ctx),
                    Err(e) => actor.on_bad_message(&from, &e.to_string(), &mut ctx),
                }
            }
            Some(Err(e)) => panic!("actor `{}`: its socket failed: {e}", driver.me),
            None => {
                let timer = driver.pop_due();
                actor.on_timer(timer, &mut ctx);
            }
        }
        driver.apply(&socket, ctx).await;
    }
}

/// The name of the node that owns `addr`.
fn sender_name(addr: SocketAddr) -> String {
    context::with("sandtable::actor", |w| match resolve(w, addr.ip()) {
        Ok(node) => w.name_of(node).to_string(),
        Err(_) => addr.to_string(),
    })
}

struct Driver<A: Actor> {
    me: String,
    port: u16,
    /// Set timers: (deadline, order set, name), kept unsorted (actors have few timers).
    timers: Vec<(Instant, u64, A::Timer)>,
    seq: u64,
}

impl<A: Actor> Driver<A> {
    fn ctx(&self) -> Ctx<A> {
        Ctx::new(self.me.clone(), Instant::now())
    }

    fn next_timer(&self) -> Option<Instant> {
        self.timers
            .iter()
            .map(|(d, s, _)| (*d, *s))
            .min()
            .map(|(d, _)| d)
    }

    /// Removes and returns the earliest timer (ties: the one set first).
    fn pop_due(&mut self) -> A::Timer {
        let i = (0..self.timers.len())
            .min_by_key(|&i| (self.timers[i].0, self.timers[i].1))
            .expect("a timer fired, so one is set");
        self.timers.swap_remove(i).2
    }

    async fn apply(&mut self, socket: &UdpSocket, ctx: Ctx<A>) {
        let now = ctx.now();
        for cmd in ctx.commands {
            match cmd {
                Cmd::Send(to, msg) => {
                    let bytes = encode(&msg).unwrap_or_else(|e| {
                        panic!("actor `{}`: cannot encode {msg:?}: {e}", self.me)
                    });
                    if let Err(e) = socket.send_to(&bytes, (to.as_str(), self.port)).await {
                        panic!("actor `{}` sent {msg:?} to `{to}`: {e}", self.me);
                    }
                }
                Cmd::SetTimer(timer, after) => {
                    self.timers.retain(|(_, _, t)| *t != timer);
                    self.seq += 1;
                    self.timers.push((now + after, self.seq, timer));
                }
                Cmd::CancelTimer(timer) => self.timers.retain(|(_, _, t)| *t != timer),
            }
        }
    }
}
