//! Bounded output: the first and last bytes of a stream of any length, and
//! how many were left out in between. A step printing 1 GiB must cost
//! neither 1 GiB of memory (checks read its output) nor of transcript.

/// The head and tail of a byte stream.
#[derive(Debug, Clone)]
pub struct Bounded {
    head: Vec<u8>,
    /// Up to twice `tail_limit` between trims (amortised O(1) per byte).
    tail: Vec<u8>,
    head_limit: usize,
    tail_limit: usize,
    total: u64,
}

impl Bounded {
    pub fn new(head_limit: usize, tail_limit: usize) -> Bounded {
        Bounded {
            head: Vec::new(),
            tail: Vec::new(),
            head_limit,
            tail_limit,
            total: 0,
        }
    }

    pub fn push(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        if self.head.len() < self.head_limit {
            let n = (self.head_limit - self.head.len()).min(data.len());
            self.head.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        if data.is_empty() {
            return;
        }
        if data.len() >= self.tail_limit {
            self.tail.clear();
            self.tail
                .extend_from_slice(&data[data.len() - self.tail_limit..]);
            return;
        }
        self.tail.extend_from_slice(data);
        if self.tail.len() > 2 * self.tail_limit {
            let cut = self.tail.len() - self.tail_limit;
            self.tail.drain(..cut);
        }
    }

    /// `other`'s stream after this one's, as if pushed here: its head, the
    /// bytes it left out (counted), its tail.
    pub fn append(&mut self, other: &Bounded) {
        self.push(other.head());
        self.total += other.dropped();
        self.push(other.tail());
    }

    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// The kept end of the stream (after the head, never overlapping it).
    pub fn tail(&self) -> &[u8] {
        let keep = self.tail.len().min(self.tail_limit);
        &self.tail[self.tail.len() - keep..]
    }

    /// Bytes in the stream in all.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes between head and tail that were not kept.
    pub fn dropped(&self) -> u64 {
        self.total - (self.head.len() + self.tail().len()) as u64
    }

    /// Head and tail as text, with a marker where bytes were left out.
    pub fn text(&self) -> String {
        let mut out = String::from_utf8_lossy(&self.head).into_owned();
        if self.dropped() > 0 {
            out.push_str(&format!("\n[… {} bytes not kept …]\n", self.dropped()));
        }
        out.push_str(&String::from_utf8_lossy(self.tail()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_head_and_tail_and_counts_the_rest() {
        let mut b = Bounded::new(4, 3);
        for chunk in [&b"ab"[..], b"cdef", b"ghij", b"k"] {
            b.push(chunk);
        }
        assert_eq!(b.head(), b"abcd");
        assert_eq!(b.tail(), b"ijk");
        assert_eq!(b.total(), 11);
        assert_eq!(b.dropped(), 4);
        assert_eq!(b.text(), "abcd\n[… 4 bytes not kept …]\nijk");
        let mut small = Bounded::new(4, 3);
        small.push(b"abcdef");
        assert_eq!((small.text().as_str(), small.dropped()), ("abcdef", 0));
    }

    #[test]
    fn memory_stays_bounded() {
        let mut b = Bounded::new(1024, 1024);
        let chunk = vec![b'x'; 1000];
        for _ in 0..10_000 {
            b.push(&chunk);
        }
        assert!(b.tail.capacity() <= 4 * 1024 + 1000);
        assert_eq!(b.dropped(), 10_000_000 - 2048);
    }
}
