//! CPU time, split into the client side and the servers.
//!
//! Process CPU is `getrusage(RUSAGE_SELF)` user + system (µs resolution, includes threads
//! that have exited). The mock server and the OTLP receiver run on threads named
//! `bench-server`; their run time comes from `/proc/self/task/*/schedstat` (ns). Client
//! CPU = process − servers: the caller's thread, hyper's connection tasks, the
//! instrumentation, and the exporters' threads (batching, protobuf encoding, gRPC).

use std::time::Duration;

/// Prefix of the server threads' names.
pub const SERVER_THREAD: &str = "bench-server";

/// User + system CPU of the whole process.
pub fn process() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    timeval(usage.ru_utime) + timeval(usage.ru_stime)
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
        + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
}

/// Run time of the server threads.
pub fn servers() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let mut total = Duration::ZERO;
    for task in tasks.flatten() {
        let path = task.path();
        let is_server = std::fs::read_to_string(path.join("comm"))
            .is_ok_and(|name| name.starts_with(SERVER_THREAD));
        if !is_server {
            continue;
        }
        if let Some(ns) = std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        {
            total += Duration::from_nanos(ns);
        }
    }
    total
}

/// A reading of client and process CPU.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    process: Duration,
    servers: Duration,
}

impl Mark {
    /// Now.
    pub fn now() -> Self {
        Self {
            servers: servers(),
            process: process(),
        }
    }

    /// Client CPU since `self`.
    pub fn client_since(&self) -> Duration {
        let now = Mark::now();
        now.process
            .saturating_sub(self.process)
            .saturating_sub(now.servers.saturating_sub(self.servers))
    }
}
