//! The loop allocates nothing per iteration on the host-gradient path (the counter sees every thread, so the tests of this binary run one at a time).

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use descent_runner::{Config, Experiment, Registry};

/// Counts every allocation of this test binary.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the counter has no effect
// on the memory handed out.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as it is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Held while counting: the tests of this binary run on threads of one process.
static ALONE: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[global_allocator]
static GLOBAL: Counting = Counting;

fn diag4() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/diag4.toml")
}

/// Allocations of one run of `config` with `iterations`, no observers.
fn allocations(sets: &[&str], iterations: usize) -> usize {
    let _alone = ALONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    sets.push(format!("iterations={iterations}"));
    sets.push("log_every=0".into());
    let config = Config::load(&diag4(), &sets, &Registry::default()).expect("config");
    let experiment = Experiment::new(config).expect("experiment");
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    experiment.run(&mut []).expect("run");
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

#[test]
fn the_loop_allocates_nothing_per_iteration() {
    // What the run keeps of its history is thinned to a fixed size, so a run of 30,100
    // iterations allocates about as often as one of 10,100 (the summary and the traces cost the
    // same); one allocation per iteration would be 20,000 more.
    for sets in [
        &[][..],
        &["optimizer.momentum=0.9", "optimizer.nesterov=true"][..],
        &["problem.batch=50"][..],
        &["problem.matrix={ normal = [40, 40] }", "optimizer.lr=0.01"][..],
    ] {
        let short = allocations(sets, 10_100);
        let long = allocations(sets, 30_100);
        assert!(
            long <= short + 100,
            "{sets:?}: {short} allocations for 10,100 iterations, {long} for 30,100"
        );
    }
}

#[test]
fn the_counter_sees_the_autodiff_paths_allocations() {
    // The same measure on candle's autodiff, which builds a graph every iteration: the test
    // above can fail.
    let short = allocations(&["gradient=autodiff"], 10_100);
    let long = allocations(&["gradient=autodiff"], 30_100);
    assert!(long >= short + 20_000, "{short} vs {long}");
}
