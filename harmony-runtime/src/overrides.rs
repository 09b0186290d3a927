//! Options given on the command line that override what providers were configured with, for the
//! one command being run: `apply --force-conflicts`.
//!
//! The CLI runs each command on a runtime of its own and sets the options on every thread of it
//! (workers, blocking threads and the thread that blocks on it), so providers read them without
//! a change to the capability traits, and two commands run in one process (tests) never see
//! each other's options.

use std::cell::Cell;

thread_local! {
    static FORCE_CONFLICTS: Cell<bool> = const { Cell::new(false) };
}

/// Command-line overrides for one command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Take over fields another field manager owns (`apply --force-conflicts`).
    pub force_conflicts: bool,
}

impl Overrides {
    /// Makes these the overrides of the calling thread; returns the ones it had.
    pub fn install(self) -> Overrides {
        Overrides {
            force_conflicts: FORCE_CONFLICTS.with(|c| c.replace(self.force_conflicts)),
        }
    }

    /// The overrides of the calling thread.
    pub fn current() -> Overrides {
        Overrides {
            force_conflicts: FORCE_CONFLICTS.with(Cell::get),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_per_thread_and_restored() {
        let forced = Overrides {
            force_conflicts: true,
        };
        let previous = forced.install();
        assert_eq!(previous, Overrides::default());
        assert!(Overrides::current().force_conflicts);
        let other = std::thread::spawn(Overrides::current).join().unwrap();
        assert!(!other.force_conflicts, "another thread keeps its own");
        previous.install();
        assert!(!Overrides::current().force_conflicts);
    }
}
