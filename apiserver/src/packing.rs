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
//! [`pack`] copies the objects, in the order given, into buffers of about [`SLAB`] bytes and
//! returns each object as a slice of its buffer (`Bytes::slice`: no copy, and all the slices of
//! one buffer share one reference count). Read in the same order later, they are one sequential
//! sweep through memory, which the CPU prefetches by itself. The watch cache packs itself when a
//! LIST finds that many of its objects have changed since the last pack (`watch_cache.rs`).

use bytes::Bytes;

/// The size each buffer is filled to (an object larger than this gets a buffer of its own).
pub const SLAB: usize = 1024 * 1024;

/// Copies of `items`, in the same order, each a slice of a shared buffer.
pub fn pack<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> Vec<Bytes> {
    // First copy everything, remembering where each item went; then freeze the buffers
    // (a `Bytes` can only be sliced once it is frozen) and cut the slices.
    let mut slabs: Vec<Vec<u8>> = Vec::new();
    let mut places: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    for item in items {
        let fits = slabs
            .last()
            .is_some_and(|slab| slab.len() + item.len() <= slab.capacity());
        if !fits {
            slabs.push(Vec::with_capacity(SLAB.max(item.len())));
        }
        let index = slabs.len() - 1;
        let slab = &mut slabs[index];
        let start = slab.len();
        slab.extend_from_slice(item);
        places.push((index, start..slab.len()));
    }
    let slabs: Vec<Bytes> = slabs.into_iter().map(Bytes::from).collect();
    places
        .into_iter()
        .map(|(index, range)| slabs[index].slice(range))
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
            assert_eq!(&copy[..], &original[..]);
        }
    }

    #[test]
    fn neighbours_share_a_buffer_and_a_large_item_gets_its_own() {
        let small = [b'a'; 100];
        let large = vec![b'b'; SLAB + 1];
        let packed = pack([&small[..], &small[..], &large[..], &small[..]]);
        // Consecutive small items sit next to each other in one buffer.
        assert_eq!(packed[0].as_ptr().wrapping_add(100), packed[1].as_ptr());
        assert_eq!(packed[2].len(), SLAB + 1);
        assert_eq!(&packed[3][..], &small[..]);
    }

    #[test]
    fn nothing_to_pack_is_nothing() {
        assert!(pack(std::iter::empty::<&[u8]>()).is_empty());
    }
}
