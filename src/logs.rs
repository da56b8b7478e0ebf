//! Hive transaction logs (.LOG1/.LOG2/.LOG): replayed in memory onto a dirty primary hive.
