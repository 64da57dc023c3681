//! A counting global allocator: bytes currently held and the peak since the last reset,
//! and the part of them allocated on the server threads (mock servers, OTLP receiver).
//!
//! Every allocation pays two relaxed atomic operations and a thread-local read; all
//! variants pay them alike. Server threads pay one more atomic operation (their CPU is
//! not counted as the client's).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Allocated minus freed on server threads (negative when they free what a client thread
/// allocated, or the other way round).
static SERVER: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    // const-initialised and without a destructor: readable inside the allocator
    static SERVER_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Counts this thread's allocations as the servers' from now on.
pub fn mark_server_thread() {
    SERVER_THREAD.with(|s| s.set(true));
}

fn on_server_thread() -> bool {
    SERVER_THREAD.try_with(Cell::get).unwrap_or(false)
}

/// [`System`], counting.
pub struct Counting;

fn grow(n: usize) {
    let now = CURRENT.fetch_add(n, Ordering::Relaxed) + n;
    if now > PEAK.load(Ordering::Relaxed) {
        PEAK.fetch_max(now, Ordering::Relaxed);
    }
    if on_server_thread() {
        SERVER.fetch_add(n.cast_signed(), Ordering::Relaxed);
    }
}

fn shrink(n: usize) {
    CURRENT.fetch_sub(n, Ordering::Relaxed);
    if on_server_thread() {
        SERVER.fetch_sub(n.cast_signed(), Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrink(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grow(new_size - layout.size());
            } else {
                shrink(layout.size() - new_size);
            }
        }
        p
    }
}

/// Bytes allocated and not yet freed, process-wide.
pub fn current() -> usize {
    CURRENT.load(Ordering::Relaxed)
}

/// Bytes allocated on threads other than the server threads and not yet freed: the
/// client side (callers, hyper's connection tasks, middleware, exporters). Only its
/// changes mean something, over a window where no thread frees what the other side
/// allocated (e.g. no `OtlpReceiver::clear`).
pub fn client_current() -> isize {
    CURRENT.load(Ordering::Relaxed).cast_signed() - SERVER.load(Ordering::Relaxed)
}

/// The highest [`current`] since the last [`reset_peak`].
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

/// Start a new peak window at the current level.
pub fn reset_peak() {
    PEAK.store(current(), Ordering::Relaxed);
}
