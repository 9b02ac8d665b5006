//! A gzip bomb built in microseconds instead of by compressing gigabytes.
//!
//! Deflate blocks are bit-aligned, but a sync flush ends them on a byte boundary. Once
//! the window is all zeros, compressing another segment of zeros and sync-flushing gives
//! the same bytes every time, so a body inflating to any multiple of the segment is a
//! short prefix, one steady segment repeated, an empty final block, and the gzip trailer
//! (whose CRC is combined arithmetically rather than computed over the zeros).

use std::sync::OnceLock;

use flate2::{Compress, Compression, Crc, FlushCompress};

/// Bytes of zeros each compressed segment stands for.
pub const SEGMENT: u64 = 1 << 20;

/// The pieces of a gzip stream of zeros.
#[derive(Debug)]
pub struct Bomb {
    /// The gzip header and the first segments, until the output became steady.
    pub prefix: Vec<u8>,
    /// Zero bytes `prefix` inflates to.
    pub prefix_len: u64,
    /// One steady segment: inflates to [`SEGMENT`] zeros.
    pub steady: Vec<u8>,
    /// The final (empty) deflate block.
    pub end: Vec<u8>,
    /// CRC of one segment of zeros.
    crc_segment: Crc,
}

impl Bomb {
    /// The cached pieces.
    pub fn get() -> &'static Bomb {
        static BOMB: OnceLock<Bomb> = OnceLock::new();
        BOMB.get_or_init(build)
    }

    /// How many steady segments make `expanded_len` (rounded down to whole segments,
    /// at least what the prefix holds).
    pub fn repeats(&self, expanded_len: u64) -> u64 {
        expanded_len.saturating_sub(self.prefix_len) / SEGMENT
    }

    /// The bytes of zeros the body really inflates to, for `expanded_len`.
    pub fn real_len(&self, expanded_len: u64) -> u64 {
        self.prefix_len + self.repeats(expanded_len) * SEGMENT
    }

    /// Total compressed size for `expanded_len`.
    pub fn compressed_len(&self, expanded_len: u64) -> u64 {
        self.prefix.len() as u64
            + self.repeats(expanded_len) * self.steady.len() as u64
            + self.end.len() as u64
            + 8
    }

    /// The gzip trailer: CRC-32 and ISIZE of `real_len` zeros.
    pub fn trailer(&self, expanded_len: u64) -> [u8; 8] {
        let segments = self.real_len(expanded_len) / SEGMENT;
        // Square-and-multiply over segments: CRC(a ++ b) from CRC(a) and CRC(b).
        let mut total = Crc::new();
        let mut power = clone_crc(&self.crc_segment);
        let mut n = segments;
        while n > 0 {
            if n & 1 == 1 {
                total.combine(&power);
            }
            let p = clone_crc(&power);
            power.combine(&p);
            n >>= 1;
        }
        let mut out = [0u8; 8];
        out[..4].copy_from_slice(&total.sum().to_le_bytes());
        let isize = (self.real_len(expanded_len) & 0xffff_ffff) as u32;
        out[4..].copy_from_slice(&isize.to_le_bytes());
        out
    }
}

fn clone_crc(crc: &Crc) -> Crc {
    // flate2's Crc is not Clone; rebuild it by combining into an empty one.
    let mut c = Crc::new();
    c.combine(crc);
    c
}

fn build() -> Bomb {
    let zeros = vec![0u8; SEGMENT as usize];
    let mut compress = Compress::new(Compression::best(), false);
    // gzip header: magic, deflate, no flags, no mtime, max compression, unknown OS.
    let mut prefix = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255];
    let mut prefix_len = 0;
    let mut last = segment(&mut compress, &zeros, FlushCompress::Sync);
    for _ in 0..16 {
        let next = segment(&mut compress, &zeros, FlushCompress::Sync);
        if next == last {
            let end = segment(&mut compress, &[], FlushCompress::Finish);
            let mut crc_segment = Crc::new();
            crc_segment.update(&zeros);
            return Bomb {
                prefix,
                prefix_len,
                steady: next,
                end,
                crc_segment,
            };
        }
        prefix.extend_from_slice(&last);
        prefix_len += SEGMENT;
        last = next;
    }
    panic!("deflate output of zeros never became steady");
}

/// Compresses all of `input` with `flush` and returns what came out.
fn segment(c: &mut Compress, input: &[u8], flush: FlushCompress) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * 1024);
    let mut consumed = 0usize;
    loop {
        let before = c.total_in();
        let status = c
            .compress_vec(&input[consumed..], &mut out, flush)
            .expect("deflate");
        consumed += (c.total_in() - before) as usize;
        let room_left = out.len() < out.capacity();
        let done = match flush {
            FlushCompress::Finish => status == flate2::Status::StreamEnd,
            _ => consumed == input.len() && room_left,
        };
        if done {
            return out;
        }
        out.reserve(64 * 1024);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// The trick is only worth something if a real decoder agrees: inflate a small
    /// bomb completely (flate2 checks the CRC and ISIZE).
    #[test]
    fn small_bomb_inflates_to_exactly_its_zeros() {
        let bomb = Bomb::get();
        let want = 8 * SEGMENT;
        let mut body = bomb.prefix.clone();
        for _ in 0..bomb.repeats(want) {
            body.extend_from_slice(&bomb.steady);
        }
        body.extend_from_slice(&bomb.end);
        body.extend_from_slice(&bomb.trailer(want));
        assert_eq!(body.len() as u64, bomb.compressed_len(want));
        assert_eq!(bomb.real_len(want), want);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut out)
            .expect("valid gzip");
        assert_eq!(out.len() as u64, want);
        assert!(out.iter().all(|&b| b == 0));
        assert!(
            body.len() < 64 * 1024,
            "ratio too poor: {} bytes",
            body.len()
        );
    }
}
