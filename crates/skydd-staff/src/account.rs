//! Staff accounts (filled in by issue 17, part 1).
