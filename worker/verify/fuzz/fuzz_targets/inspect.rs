//! Any bytes, as an applicant could upload them, through the whole inspection: the type sniffing,
//! the PDF checks and the image decoding, cleaning and preview. A crash (a panic the inspection
//! did not turn into a verdict, an overflow) or an allocation over the program's memory limit
//! (`verify::child::MEMORY_LIMIT`, where `ustaz-verify` would be ended) is a finding.
#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use libfuzzer_sys::fuzz_target;

mod seeds;

/// Counts live bytes and aborts, with the size, past the inspecting program's memory limit.
struct Budget;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Budget {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        if live as u64 > verify::child::MEMORY_LIMIT {
            // No allocation from here: write the finding with a fixed buffer and abort, so
            // libFuzzer keeps the input as a crash.
            let msg = b"verify-fuzz: live allocations over the memory limit\n";
            let _ = std::io::Write::write_all(&mut std::io::stderr(), msg);
            std::process::abort();
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                - layout.size();
                if live as u64 > verify::child::MEMORY_LIMIT {
                let msg = b"verify-fuzz: live allocations over the memory limit\n";
                let _ = std::io::Write::write_all(&mut std::io::stderr(), msg);
                std::process::abort();
            }
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static BUDGET: Budget = Budget;

/// Every type the inspection checks in depth is accepted, so every checker is reached.
const ACCEPTED: [&str; 4] = ["application/pdf", "image/png", "image/jpeg", "image/webp"];

fuzz_target!(
    init: {
        // `VERIFY_FUZZ_SEEDS=DIR inspect` writes the seed corpus and stops (cargo xtask fuzz).
        if let Some(dir) = std::env::var_os("VERIFY_FUZZ_SEEDS") {
            seeds::write(std::path::Path::new(&dir));
            std::process::exit(0);
        }
    },
    |data: &[u8]| {
        let outcome = verify::inspect(data, &ACCEPTED);
        // The verdict is consistent whatever the bytes.
        assert_eq!(outcome.passed, outcome.reasons.is_empty());
        if outcome.passed {
            assert!(outcome.detected_type.is_some());
        }
        // And it survives the trip from the child to the worker.
        let back = verify::child::decode(&verify::child::encode(&outcome)).expect("decodes");
        assert_eq!(back.reasons, outcome.reasons);
    }
);
