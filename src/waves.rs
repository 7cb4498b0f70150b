//! Counting dependent round-trip waves in a call log.
//!
//! The latency budget (DESIGN §2) is counted in waves: calls that overlap cost one round trip,
//! a call that starts only after another ended costs another. Given each call's start and end on
//! one monotonic counter (the emulator's `startSeq`/`endSeq`), the number of waves is the length
//! of the longest chain of calls in which each starts after the previous one ended.

/// One call's position on the global counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Counter value when the call started.
    pub start: u64,
    /// Counter value when it ended (`end > start`).
    pub end: u64,
}

/// The length of the longest chain `c1, c2, …` with `c(k+1).start > c(k).end`.
pub fn dependent_waves(spans: &[Span]) -> usize {
    let mut by_end: Vec<Span> = spans.to_vec();
    by_end.sort_by_key(|s| (s.end, s.start));
    // chain[i] = the longest chain ending with by_end[i]. Quadratic, which is fine for call logs
    // of a few hundred entries and obviously right.
    let mut chain = vec![0usize; by_end.len()];
    for i in 0..by_end.len() {
        let best_before = (0..i)
            .filter(|&j| by_end[j].end < by_end[i].start)
            .map(|j| chain[j])
            .max()
            .unwrap_or(0);
        chain[i] = best_before + 1;
    }
    chain.into_iter().max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(start: u64, end: u64) -> Span {
        Span { start, end }
    }

    #[test]
    fn no_calls_no_waves() {
        assert_eq!(dependent_waves(&[]), 0);
    }

    #[test]
    fn overlapping_calls_are_one_wave() {
        // Three calls all started before any ended.
        assert_eq!(dependent_waves(&[s(1, 4), s(2, 5), s(3, 6)]), 1);
    }

    #[test]
    fn strictly_sequential_calls_are_one_wave_each() {
        assert_eq!(dependent_waves(&[s(1, 2), s(3, 4), s(5, 6), s(7, 8)]), 4);
    }

    #[test]
    fn a_grant_shape_assume_reads_creates_attaches() {
        let log = [
            s(1, 2), // AssumeRole
            s(3, 7),
            s(4, 8),
            s(5, 9),
            s(6, 10), // reads
            s(11, 13),
            s(12, 14), // creates
            s(15, 18),
            s(16, 19),
            s(17, 20), // attaches
        ];
        assert_eq!(dependent_waves(&log), 4);
    }

    #[test]
    fn touching_is_not_following() {
        // The second call started at the very tick the first ended: they overlapped.
        assert_eq!(dependent_waves(&[s(1, 3), s(3, 5)]), 1);
    }

    #[test]
    fn the_longest_chain_wins_over_the_number_of_calls() {
        // A long call spanning everything, and a short chain of three beside it.
        let log = [s(1, 100), s(2, 3), s(4, 5), s(6, 7)];
        assert_eq!(dependent_waves(&log), 3);
        // Input order does not matter.
        let mut reversed = log;
        reversed.reverse();
        assert_eq!(dependent_waves(&reversed), 3);
    }

    #[test]
    fn a_late_slow_call_does_not_extend_a_chain_it_overlaps() {
        // Wave 1: a; wave 2: b starts after a; c overlaps both a and b.
        assert_eq!(dependent_waves(&[s(1, 3), s(4, 6), s(2, 5)]), 2);
    }
}
