//! Packing: copying many small encoded objects into a few large buffers, in order.
//!
//! The watch cache keeps each object's JSON in its own allocation, made when the object last
//! changed. Ten thousand pods created over a few seconds end up scattered across the heap in
//! no particular order, and a LIST then reads them in key order: every object starts with a
//! cache miss (the CPU cannot guess where the next one is), and taking a reference to each
//! touches yet another place (the reference count of each buffer). Measured on our 2-core
//! machine, that made assembling a LIST of 10,000 pods (11 MiB) take about as long as sending
//! it.
//!
//! [`pack`] copies the objects, in the order given, into buffers of about [`SLAB`] bytes,
//! with a comma after each, and returns where each object went. The object itself becomes a
//! slice of its buffer (`Bytes::slice`: no copy, and all the slices of one buffer share one
//! reference count). Read in the same order later, the objects are one sequential sweep
//! through memory, which the CPU prefetches by itself; and because a LIST answer is exactly
//! "objects separated by commas", a run of neighbours in one buffer *is* a piece of the answer,
//! sent without copying (see [`Packed::run_to`] and `watch_cache.rs`). The watch cache packs
//! itself when a LIST finds that many of its objects have changed since the last pack.
//!
//! The cost besides the copy: a buffer lives as long as any slice of it. An object that
//! changed after a pack is stored on its own, but the watch cache's window of recent events
//! still holds its previous state, a slice of the old buffer, so the whole old buffer stays
//! until those events leave the window. Right after a burst of changes, the objects' JSON can
//! be in memory two or three times over.

use bytes::Bytes;
use std::ops::Range;

/// The size each buffer is filled to (an object larger than this gets a buffer of its own).
pub const SLAB: usize = 1024 * 1024;

/// Where a packed object lies: its buffer, and its bytes within it (a comma follows them).
#[derive(Debug, Clone)]
pub struct Packed {
    pub slab: Bytes,
    pub range: Range<usize>,
}

impl Packed {
    /// The object's own bytes.
    pub fn bytes(&self) -> Bytes {
        self.slab.slice(self.range.clone())
    }

    /// Whether `next` is the object right after this one in the same buffer.
    pub fn is_followed_by(&self, next: &Packed) -> bool {
        self.slab.as_ptr() == next.slab.as_ptr() && self.range.end + 1 == next.range.start
    }

    /// The bytes from this object to `last` (in the same buffer), commas between: a piece of
    /// a list answer.
    pub fn run_to(&self, last: &Packed) -> Bytes {
        self.slab.slice(self.range.start..last.range.end)
    }
}

/// Copies of `items`, in the same order, side by side in shared buffers.
pub fn pack<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Vec<Packed> {
    // First copy everything, remembering where each item went; then freeze the buffers
    // (a `Bytes` can only be shared once it is frozen) and hand out the places.
    let mut slabs: Vec<Vec<u8>> = Vec::new();
    let mut places: Vec<(usize, Range<usize>)> = Vec::new();
    for item in items {
        let fits = slabs
            .last()
            .is_some_and(|slab| slab.len() + item.len() < slab.capacity());
        if !fits {
            slabs.push(Vec::with_capacity(SLAB.max(item.len() + 1)));
        }
        let index = slabs.len() - 1;
        let slab = &mut slabs[index];
        let start = slab.len();
        slab.extend_from_slice(item);
        places.push((index, start..slab.len()));
        slab.push(b',');
    }
    let slabs: Vec<Bytes> = slabs.into_iter().map(Bytes::from).collect();
    places
        .into_iter()
        .map(|(index, range)| Packed {
            slab: slabs[index].clone(),
            range,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_items_are_equal_to_the_originals_and_in_order() {
        let items: Vec<Vec<u8>> = (0..3000)
            .map(|i| format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(i % 700)).into_bytes())
            .collect();
        let packed = pack(items.iter().map(Vec::as_slice));
        assert_eq!(packed.len(), items.len());
        for (original, copy) in items.iter().zip(&packed) {
            assert_eq!(&copy.bytes()[..], &original[..]);
        }
    }

    #[test]
    fn neighbours_make_a_run_and_a_large_item_gets_its_own_buffer() {
        let small = [b'1'; 100];
        let large = [b'2'; SLAB + 1];
        let packed = pack([&small[..], &small[..], &large[..], &small[..]]);
        assert!(packed[0].is_followed_by(&packed[1]));
        let run = packed[0].run_to(&packed[1]);
        assert_eq!(run.len(), 201);
        assert_eq!(run[100], b',');
        assert!(
            !packed[1].is_followed_by(&packed[2]),
            "the large one has its own buffer"
        );
        assert_eq!(packed[2].bytes().len(), SLAB + 1);
        assert!(!packed[2].is_followed_by(&packed[3]));
        assert_eq!(&packed[3].bytes()[..], &small[..]);
    }

    #[test]
    fn nothing_to_pack_is_nothing() {
        assert!(pack(std::iter::empty::<&[u8]>()).is_empty());
    }
}
