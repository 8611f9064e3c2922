//! Sign-in lock-out and session lifetimes (filled in by issue 17, part 1).
