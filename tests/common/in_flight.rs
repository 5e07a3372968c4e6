//! How many requests a fake had in flight at once, and an artificial network latency that
//! makes that observable: the fakes answer each request in microseconds on one thread, so
//! without a delay two requests a client sends side by side would rarely overlap.
//!
//! A request is in flight from the moment its handler starts until it returns (the
//! answer is then being written). Reads are `GET`/`HEAD`; everything else is a write.
//! The peaks only ever grow; [`InFlight::reset`] starts them again.
#![allow(dead_code)]

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use axum::http::Method;

/// The most requests a fake had in flight at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Peaks {
    /// Reads in flight at once.
    pub reads: usize,
    /// Writes in flight at once.
    pub writes: usize,
    /// Other requests (reads or writes) in flight beside a write.
    pub beside_a_write: usize,
}

#[derive(Debug, Default)]
struct Counts {
    latency: Duration,
    reads: usize,
    writes: usize,
    peaks: Peaks,
}

/// Counts a fake's requests in flight; shared by its handlers.
#[derive(Debug, Default)]
pub struct InFlight(Mutex<Counts>);

impl InFlight {
    fn counts(&self) -> MutexGuard<'_, Counts> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every later request waits `latency` before it is answered (zero: none).
    pub fn set_latency(&self, latency: Duration) {
        self.counts().latency = latency;
    }

    /// The peaks so far.
    pub fn peaks(&self) -> Peaks {
        self.counts().peaks
    }

    /// Starts the peaks again from what is in flight now.
    pub fn reset(&self) {
        let mut c = self.counts();
        c.peaks = Peaks {
            reads: c.reads,
            writes: c.writes,
            beside_a_write: 0,
        };
    }

    /// Counts a request of `method` in flight until the returned guard is dropped, and
    /// waits the latency (outside any lock, so requests overlap).
    pub async fn enter(&self, method: &Method) -> Entered<'_> {
        let write = !matches!(*method, Method::GET | Method::HEAD);
        let latency = {
            let mut c = self.counts();
            if write {
                c.writes += 1;
            } else {
                c.reads += 1;
            }
            let beside = if c.writes > 0 {
                c.reads + c.writes - 1
            } else {
                0
            };
            c.peaks.reads = c.peaks.reads.max(c.reads);
            c.peaks.writes = c.peaks.writes.max(c.writes);
            c.peaks.beside_a_write = c.peaks.beside_a_write.max(beside);
            c.latency
        };
        let entered = Entered { of: self, write };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        entered
    }
}

/// One request in flight; dropping it (the handler returned, or was cancelled) ends it.
pub struct Entered<'a> {
    of: &'a InFlight,
    write: bool,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        let mut c = self.of.counts();
        if self.write {
            c.writes -= 1;
        } else {
            c.reads -= 1;
        }
    }
}
