//! A global allocator that zeroes every block before it goes back to the system allocator, so
//! that copies of a password made inside our dependencies (serde_json unescapes a JSON string
//! into a scratch buffer of its own, which it frees without zeroing) do not outlive their use
//! in freed memory. Our own code zeroes its secrets itself (`WireSecret`, `SecretBuffer`);
//! this covers what it cannot reach. The programs that handle passwords install it: the agent,
//! the `wnet` command and the Python extension.
//!
//! It is the one place in the workspace with `unsafe`: implementing [`GlobalAlloc`] is unsafe
//! by definition, and each operation only forwards to [`System`] with the same layout.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{Ordering, compiler_fence};

/// The system allocator, zeroing each block when it is freed or moved by a `realloc`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ZeroingAllocator;

/// Overwrites `len` bytes at `ptr` with zeros, with volatile writes that the compiler cannot
/// drop as dead stores before the free.
///
/// # Safety
///
/// `ptr..ptr + len` must be valid for writes.
unsafe fn zero(ptr: *mut u8, len: usize) {
    let word = std::mem::size_of::<u64>();
    let head = ptr.align_offset(word).min(len);
    let words = (len - head) / word;
    // SAFETY: every write below is inside `ptr..ptr + len` (the caller's promise), and the
    // `u64` writes start at `ptr + head`, which `align_offset` made 8-aligned.
    unsafe {
        for index in 0..head {
            ptr.add(index).write_volatile(0);
        }
        #[allow(clippy::cast_ptr_alignment)] // 8-aligned by `align_offset`, as said above.
        let aligned = ptr.add(head).cast::<u64>();
        for index in 0..words {
            aligned.add(index).write_volatile(0);
        }
        for index in head + words * word..len {
            ptr.add(index).write_volatile(0);
        }
    }
    compiler_fence(Ordering::SeqCst);
}

// SAFETY: allocation is `System`'s with the caller's layout; a freed block is zeroed while it
// is still ours, and `realloc` keeps `GlobalAlloc`'s contract (the old block's contents up to
// the smaller size are moved, the old block is freed, a null return leaves it untouched).
unsafe impl GlobalAlloc for ZeroingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout (non-zero size, as the contract says).
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated with `layout`, so its `layout.size()` bytes are ours
        // until `System.dealloc` takes them back.
        unsafe {
            zero(ptr, layout.size());
            System.dealloc(ptr, layout);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The system's realloc may move the block and free the old one unzeroed: move it
        // ourselves instead.
        // SAFETY: the caller promises `new_size`, rounded up to `layout.align()`, does not
        // overflow `isize`; the copy stays within both blocks; the old block is freed once,
        // after the copy, and only when the new one exists.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let moved = self.alloc(new_layout);
            if !moved.is_null() {
                std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            moved
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ZeroingAllocator;

    #[test]
    fn blocks_of_every_alignment_and_size_are_zeroed_and_moved_whole() {
        use std::alloc::{GlobalAlloc as _, Layout};
        for size in [1, 7, 8, 9, 63, 64, 65, 4096 + 3] {
            for align in [1, 2, 8, 16] {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: a fresh block of `layout`, written and read within its size, freed
                // once with the layout it has.
                #[allow(unsafe_code)]
                unsafe {
                    let block = ZeroingAllocator.alloc(layout);
                    assert!(!block.is_null());
                    for index in 0..size {
                        block.add(index).write(0xA5);
                    }
                    // Reading after a free is undefined, so the zeroing is checked on a
                    // sub-range through the same routine.
                    super::zero(block.add(size / 3), size - size / 3);
                    for index in 0..size {
                        let expected = if index < size / 3 { 0xA5 } else { 0 };
                        assert_eq!(block.add(index).read(), expected, "{size}/{align}@{index}");
                    }
                    let grown = ZeroingAllocator.realloc(block, layout, size * 2 + 1);
                    assert!(!grown.is_null());
                    for index in 0..size / 3 {
                        assert_eq!(grown.add(index).read(), 0xA5);
                    }
                    let grown_layout = Layout::from_size_align(size * 2 + 1, align).unwrap();
                    ZeroingAllocator.dealloc(grown, grown_layout);
                }
            }
        }
    }
}
