// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A running core as the one-shot commands use it: send commands, wait for
//! events with a deadline, notice Ctrl-C, and always shut down cleanly so
//! the store is left consistent.

use std::sync::Arc;
use std::time::Duration;

use sotto_core::{Command, CoreHandle, Event, Request};
use sotto_store::SqlStore;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::exit::{Code, fail};
use crate::wait::{Step, Waiter};

/// How long shutting down may take before we stop waiting for the core.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// After "offline, not retrying", how long a more specific event may follow.
const SETTLE: Duration = Duration::from_millis(500);

/// What waiting produced.
#[derive(Debug)]
pub enum Next {
    /// An event from the core (boxed: a message record makes it large).
    Event(Box<Event>),
    /// The deadline passed.
    Deadline,
    /// The user pressed Ctrl-C.
    Interrupted,
    /// The core's event channel closed.
    Closed,
}

/// A running core.
#[derive(Debug)]
pub struct Core {
    handle: CoreHandle,
    interrupt: Arc<Notify>,
}

impl Core {
    /// Starts the core on the profile; it brings every enabled account
    /// online. `options` name the profile directory (Arti's state lives in
    /// it) and, in tests, a private Tor network.
    pub fn start(store: SqlStore, options: sotto_core::CoreOptions) -> Self {
        let interrupt = Arc::new(Notify::new());
        let notify = Arc::clone(&interrupt);
        tokio::spawn(forward_interrupts(notify));
        Self {
            handle: sotto_core::start_with_options(Arc::new(store), options),
            interrupt,
        }
    }

    /// Sends a command to the core.
    pub fn send(&self, command: Command) -> anyhow::Result<()> {
        self.send_request(command.into())
    }

    /// Sends a command with a request id (see [`sotto_core::Request`]).
    pub fn send_request(&self, request: Request) -> anyhow::Result<()> {
        self.handle
            .send(request)
            .map_err(|_| anyhow::anyhow!("the core stopped unexpectedly"))
    }

    /// The next event, unless the deadline passes or Ctrl-C comes first.
    pub async fn next(&mut self, deadline: Option<Instant>) -> Next {
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = self.handle.events.recv() => event.map_or(Next::Closed, |e| Next::Event(Box::new(e))),
            () = self.interrupt.notified() => Next::Interrupted,
            () = sleep => Next::Deadline,
        }
    }

    /// Feeds events to `waiter` until it is done or `timeout` passes,
    /// printing its progress lines to stderr. Ctrl-C and a vanished core are
    /// errors.
    pub async fn wait_for<W: Waiter>(
        &mut self,
        timeout: Duration,
        waiter: &mut W,
    ) -> anyhow::Result<Result<W::Output, W::Error>> {
        let mut deadline = Instant::now() + timeout;
        loop {
            match self.next(Some(deadline)).await {
                Next::Event(event) => {
                    tracing::debug!(event = event_name(&event), "core event");
                    // Notices and progress quote servers and peers.
                    for line in crate::wait::notices(&event) {
                        eprintln!("{}", crate::output::sanitize(&line));
                    }
                    let step = waiter.on_event(&event);
                    if let Some(line) = waiter.progress() {
                        eprintln!("{}", crate::output::sanitize(&line));
                    }
                    match step {
                        Step::Pending => {}
                        Step::Settling => deadline = deadline.min(Instant::now() + SETTLE),
                        Step::Done(result) => return Ok(result),
                    }
                }
                Next::Deadline => return Ok(Err(waiter.give_up(timeout.as_secs()))),
                Next::Interrupted => return Err(fail(Code::Interrupted, "interrupted")),
                Next::Closed => anyhow::bail!("the core stopped unexpectedly"),
            }
        }
    }

    /// Sends `Shutdown`, drains events until `Stopped`, and waits for the
    /// core task, each within [`SHUTDOWN_GRACE`].
    pub async fn shutdown(mut self) {
        if self.send(Command::Shutdown).is_ok() {
            let deadline = Instant::now() + SHUTDOWN_GRACE;
            loop {
                match self.next(Some(deadline)).await {
                    Next::Event(event) if matches!(*event, Event::Stopped) => break,
                    Next::Closed => break,
                    Next::Event(_) | Next::Interrupted => {}
                    Next::Deadline => {
                        tracing::warn!("the core did not stop in time");
                        return;
                    }
                }
            }
        }
        self.join().await;
    }

    /// Waits for the core task after it has reported `Stopped`.
    pub async fn join(self) {
        if tokio::time::timeout(SHUTDOWN_GRACE, self.handle.join())
            .await
            .is_err()
        {
            tracing::warn!("the core task did not end in time");
        }
    }
}

/// Turns each Ctrl-C into one permit of `notify`; a permit is stored while
/// nobody waits, so a Ctrl-C between two waits is not lost. One listener
/// lives for the whole run: a fresh `ctrl_c()` per signal could see the
/// same signal twice.
async fn forward_interrupts(notify: Arc<Notify>) {
    #[cfg(unix)]
    let mut signals = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
    {
        Ok(signals) => signals,
        Err(e) => {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            return;
        }
    };
    #[cfg(windows)]
    let mut signals = match tokio::signal::windows::ctrl_c() {
        Ok(signals) => signals,
        Err(e) => {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            return;
        }
    };
    while signals.recv().await.is_some() {
        notify.notify_one();
    }
}

/// The event's JSON `type`, for logs that must not carry message bodies.
pub fn event_name(event: &Event) -> String {
    serde_json::to_value(event)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}
