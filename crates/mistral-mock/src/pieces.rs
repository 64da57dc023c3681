//! Cutting a response body into pieces, each sent as its own HTTP chunk.

use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;

/// How a response body is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Chunking {
    /// One piece (JSON bodies then get a `content-length`).
    #[default]
    Whole,
    /// Pieces of this many bytes (the last may be shorter).
    Fixed(usize),
    /// Pseudo-random piece sizes in `1..=max`, the same sequence for every response.
    Random { seed: u64, max: usize },
}

/// xorshift64: enough randomness to vary piece sizes, reproducible from a seed.
#[derive(Debug, Clone)]
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        // Zero is the one state xorshift never leaves.
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

#[derive(Debug)]
enum Sizes {
    Whole,
    Fixed(usize),
    Random(XorShift, u64),
}

impl Sizes {
    fn new(chunking: Chunking) -> Self {
        match chunking {
            Chunking::Whole => Self::Whole,
            Chunking::Fixed(n) => Self::Fixed(n.max(1)),
            Chunking::Random { seed, max } => Self::Random(
                XorShift::new(seed),
                u64::try_from(max.max(1)).unwrap_or(u64::MAX),
            ),
        }
    }

    fn next(&mut self) -> usize {
        match self {
            Self::Whole => usize::MAX,
            Self::Fixed(n) => *n,
            Self::Random(rng, max) => usize::try_from(1 + rng.next() % *max).unwrap_or(usize::MAX),
        }
    }
}

/// Pause before aborting, long enough for the bytes already given to hyper to be written.
const FLUSH_PAUSE: Duration = Duration::from_millis(20);

struct State {
    body: Bytes,
    offset: usize,
    sizes: Sizes,
    delay: Duration,
    /// Abort (yield an error) once the body is sent up to here.
    fail_at: Option<usize>,
}

/// The body as a stream of pieces, with `delay` between pieces, ending in an error after
/// `fail_after` bytes when set (hyper then drops the connection mid-body).
pub(crate) fn pieces(
    body: Bytes,
    chunking: Chunking,
    delay: Duration,
    fail_after: Option<usize>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let fail_at = fail_after.map(|n| n.min(body.len()));
    let state = State {
        body,
        offset: 0,
        sizes: Sizes::new(chunking),
        delay,
        fail_at,
    };
    futures_util::stream::unfold(Some(state), |state| async move {
        let mut state = state?;
        let end = state.fail_at.unwrap_or(state.body.len());
        if state.offset >= end {
            let n = state.fail_at?;
            // hyper drops its unsent buffer with the connection: let it flush first.
            tokio::time::sleep(FLUSH_PAUSE).await;
            let err = std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                format!("mock: aborting the response after {n} body bytes"),
            );
            return Some((Err(err), None));
        }
        if state.offset > 0 && !state.delay.is_zero() {
            tokio::time::sleep(state.delay).await;
        }
        let len = state.sizes.next().min(end - state.offset);
        let piece = state.body.slice(state.offset..state.offset + len);
        state.offset += len;
        Some((Ok(piece), Some(state)))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    async fn collect(
        chunking: Chunking,
        fail_after: Option<usize>,
    ) -> Vec<Result<Bytes, std::io::Error>> {
        let body = Bytes::from_static(b"0123456789abcdefghij");
        pieces(body, chunking, Duration::ZERO, fail_after)
            .collect()
            .await
    }

    #[tokio::test]
    async fn fixed_pieces_cover_the_body_in_order() {
        let out = collect(Chunking::Fixed(7), None).await;
        let sizes: Vec<usize> = out.iter().map(|p| p.as_ref().unwrap().len()).collect();
        assert_eq!(sizes, [7, 7, 6]);
        let joined: Vec<u8> = out.into_iter().flat_map(|p| p.unwrap()).collect();
        assert_eq!(joined, b"0123456789abcdefghij");
    }

    #[tokio::test]
    async fn random_pieces_are_bounded_and_reproducible() {
        let chunking = Chunking::Random { seed: 42, max: 5 };
        let a: Vec<usize> = collect(chunking, None)
            .await
            .iter()
            .map(|p| p.as_ref().unwrap().len())
            .collect();
        let b: Vec<usize> = collect(chunking, None)
            .await
            .iter()
            .map(|p| p.as_ref().unwrap().len())
            .collect();
        assert_eq!(a, b);
        assert_eq!(a.iter().sum::<usize>(), 20);
        assert!(a.iter().all(|n| (1..=5).contains(n)), "{a:?}");
    }

    #[tokio::test]
    async fn fail_after_sends_exactly_n_bytes_then_an_error() {
        let out = collect(Chunking::Fixed(3), Some(8)).await;
        let (last, sent) = out.split_last().unwrap();
        assert!(last.is_err());
        let joined: Vec<u8> = sent
            .iter()
            .flat_map(|p| p.as_ref().unwrap().to_vec())
            .collect();
        assert_eq!(joined, b"01234567");
    }
}
