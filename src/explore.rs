//! `eventlab explore`: a scenario run once per seed, in parallel, with the checker on, and
//! the first failing seed shrunk to a reproduction file (the contract's "Explore" section).
//!
//! Each seed draws the `explore` section's fault templates from a stream of its own (see
//! [`crate::scenario::explore`]) and runs headless ([`crate::run::run`]); a passing seed's
//! trace is dropped as soon as its verdict is read. Seeds are handed to the jobs one at a
//! time and their verdicts sorted by seed, so the [`Report`] does not depend on the number
//! of jobs. [`render`] writes it as text or JSON.

pub mod render;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration as WallDuration;

use crate::analysis::FindingClass;
use crate::analysis::expect::Checked;
use crate::run::RunError;
use crate::scenario::model::Explore;
use serde_json::Value::Null;

use crate::scenario::model::{Fault, Note, Scenario};
use crate::scenario::value::Duration;

/// A scenario ready to explore: the scenario without its `explore` section, and the section.
pub struct Explorer {
    base: Scenario,
    templates: Explore,
    max_steps: u64,
    /// The scenario compiled once, for the seeds that draw no fault: each runs a clone with
    /// its own seed (compiling stores the seed and nothing else depends on it).
    compiled: Result<crate::model::Model, crate::model::CompileError>,
}

/// What one seed broke: the expectations (indices in the scenario's `expect`) and the
/// classes of the findings it had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub seed: u64,
    pub broken: Vec<usize>,
    pub classes: Vec<FindingClass>,
}

impl Verdict {
    pub fn failed(&self) -> bool {
        !self.broken.is_empty()
    }
}

/// A seed whose run stopped with an error (a run-away loop the drawn faults caused).
#[derive(Debug)]
pub struct SeedError {
    pub seed: u64,
    pub error: RunError,
}

/// How far an exploration got, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub failing: u64,
}

impl Explorer {
    pub fn new(mut scenario: Scenario, max_steps: u64) -> Self {
        let templates = scenario.explore.take().unwrap_or_default();
        let compiled = crate::model::Model::compile(std::sync::Arc::new(scenario.clone()), scenario.seed);
        Explorer { base: scenario, templates, max_steps, compiled }
    }

    /// The scenario explored (without its `explore` section).
    pub fn scenario(&self) -> &Scenario {
        &self.base
    }

    /// The seeds explored when `--seeds` is not given: the section's count, else the default.
    pub fn default_seeds(&self) -> Range<u64> {
        0..self.templates.seeds.unwrap_or(crate::scenario::explore::DEFAULT_SEEDS)
    }

    /// The faults seed `seed` draws.
    pub fn drawn(&self, seed: u64) -> Vec<Fault> {
        self.templates.draw(&self.base, seed)
    }

    /// The scenario seed `seed` runs with `drawn` as its drawn faults.
    pub fn with_faults(&self, seed: u64, drawn: &[Fault]) -> Scenario {
        let mut scenario = self.base.clone();
        scenario.seed = seed;
        scenario.faults.extend(drawn.iter().cloned());
        scenario
    }

    /// Runs seed `seed` with `drawn` as its drawn faults, on this thread alone: the seeds
    /// keep every core busy already.
    pub fn check(&self, seed: u64, drawn: &[Fault]) -> Result<Verdict, RunError> {
        let model = match (&self.compiled, drawn) {
            (Ok(model), []) => {
                let mut model = model.clone();
                model.seed = seed;
                model
            }
            _ => crate::model::Model::compile(std::sync::Arc::new(self.with_faults(seed, drawn)), seed)?,
        };
        let outcome = crate::run::run_model_inline(std::sync::Arc::new(model), self.max_steps)?;
        let broken = outcome.checked.iter().enumerate().filter(|(_, c)| !c.passed).map(|(i, _)| i).collect();
        let classes =
            FindingClass::ALL.into_iter().filter(|&class| outcome.analysis.finding_count(class) > 0).collect();
        Ok(Verdict { seed, broken, classes })
    }

    /// Runs seed `seed` with the faults it draws.
    pub fn check_seed(&self, seed: u64) -> Result<Verdict, RunError> {
        self.check(seed, &self.drawn(seed))
    }

    /// Runs every seed of `seeds` on `jobs` threads until done or `stop` is set; the
    /// verdicts in seed order. `progress` is called from this thread now and then.
    pub fn explore(
        &self,
        seeds: Range<u64>,
        jobs: usize,
        stop: &AtomicBool,
        mut progress: impl FnMut(Progress),
    ) -> Result<Vec<Verdict>, SeedError> {
        let total = seeds.end - seeds.start;
        let next = AtomicU64::new(seeds.start);
        let (done, failing) = (AtomicU64::new(0), AtomicU64::new(0));
        let verdicts = Mutex::new(Vec::with_capacity(total.min(1 << 20) as usize));
        let error: Mutex<Option<SeedError>> = Mutex::new(None);
        let halt = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..jobs.max(1))
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        while !stop.load(Ordering::Relaxed) && !halt.load(Ordering::Relaxed) {
                            let seed = next.fetch_add(1, Ordering::Relaxed);
                            if seed >= seeds.end || seed < seeds.start {
                                break;
                            }
                            match self.check_seed(seed) {
                                Ok(verdict) => {
                                    if verdict.failed() {
                                        failing.fetch_add(1, Ordering::Relaxed);
                                    }
                                    mine.push(verdict);
                                    done.fetch_add(1, Ordering::Relaxed);
                                }
                                Err(e) => {
                                    halt.store(true, Ordering::Relaxed);
                                    let mut slot = error.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                                    // The lowest seed's error, whatever the jobs.
                                    if slot.as_ref().is_none_or(|s| s.seed > seed) {
                                        *slot = Some(SeedError { seed, error: e });
                                    }
                                }
                            }
                        }
                        verdicts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend(mine);
                    })
                })
                .collect();
            let report = |progress: &mut dyn FnMut(Progress)| {
                progress(Progress {
                    done: done.load(Ordering::Relaxed),
                    total,
                    failing: failing.load(Ordering::Relaxed),
                });
            };
            while !workers.iter().all(std::thread::ScopedJoinHandle::is_finished) {
                std::thread::sleep(WallDuration::from_millis(50));
                report(&mut progress);
            }
            report(&mut progress);
        });
        if let Some(e) = error.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
            return Err(e);
        }
        let mut verdicts = verdicts.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        verdicts.sort_by_key(|v| v.seed);
        Ok(verdicts)
    }

    /// The smallest drawn fault list that still breaks expectation `expectation` on seed
    /// `seed`: drawn faults dropped one at a time, then each drawn `for` and `restart_after`
    /// halved, while that expectation still fails.
    pub fn shrink(&self, seed: u64, expectation: usize) -> Result<Vec<Fault>, RunError> {
        let breaks = |faults: &[Fault]| -> Result<bool, RunError> {
            Ok(self.check(seed, faults)?.broken.contains(&expectation))
        };
        let mut faults = self.drawn(seed);
        let mut i = 0;
        while i < faults.len() {
            let mut fewer = faults.clone();
            fewer.remove(i);
            if breaks(&fewer)? {
                faults = fewer;
            } else {
                i += 1;
            }
        }
        for i in 0..faults.len() {
            for field in [Field::For, Field::RestartAfter] {
                while let Some(half) = field.get(&faults[i]).map(|d| Duration(d.0 / 2)).filter(|h| h.0 > 0) {
                    let mut shorter = faults.clone();
                    field.set(&mut shorter[i], half);
                    if !breaks(&shorter)? {
                        break;
                    }
                    faults = shorter;
                }
            }
        }
        Ok(faults)
    }
}

#[derive(Clone, Copy)]
enum Field {
    For,
    RestartAfter,
}

impl Field {
    fn get(self, f: &Fault) -> Option<Duration> {
        match self {
            Field::For => f.for_,
            Field::RestartAfter => f.restart_after,
        }
    }

    fn set(self, f: &mut Fault, d: Duration) {
        match self {
            Field::For => f.for_ = Some(d),
            Field::RestartAfter => f.restart_after = Some(d),
        }
    }
}

/// The first failing seed's reproduction: the scenario with that seed and the shrunk
/// drawn faults as plain faults.
#[derive(Clone, Debug)]
pub struct Reproduction {
    pub seed: u64,
    /// The expectation it breaks (index in `expect`), the lowest the seed broke.
    pub breaks: usize,
    pub drawn: usize,
    pub kept: Vec<Fault>,
    pub scenario: Scenario,
}

/// An exploration's result, independent of the number of jobs.
pub struct Report {
    pub name: String,
    pub seeds: Range<u64>,
    /// Stopped (Ctrl-C) before every seed ran.
    pub stopped: bool,
    /// Each expectation, in words.
    pub expectations: Vec<String>,
    pub verdicts: Vec<Verdict>,
    pub reproduction: Option<Reproduction>,
}

impl Report {
    /// Builds the report from the verdicts, shrinking the lowest failing seed.
    pub fn new(
        explorer: &Explorer,
        seeds: Range<u64>,
        stopped: bool,
        verdicts: Vec<Verdict>,
    ) -> Result<Self, SeedError> {
        let scenario = explorer.scenario();
        let expectations = scenario
            .expect
            .iter()
            .map(|e| Checked { expect: e.clone(), passed: true, actual: Null }.describe())
            .collect();
        let reproduction = match verdicts.iter().find(|v| v.failed()) {
            None => None,
            Some(first) => {
                let (seed, breaks) = (first.seed, first.broken[0]);
                let kept = explorer.shrink(seed, breaks).map_err(|error| SeedError { seed, error })?;
                let drawn = explorer.drawn(seed).len();
                let mut scenario = explorer.with_faults(seed, &kept);
                // The scenario's own notes tell of the run without these faults.
                let expectation = Checked { expect: scenario.expect[breaks].clone(), passed: false, actual: Null };
                let text = format!(
                    "Written by eventlab explore: seed {seed}. The last {} in \"faults\" {} what this seed drew \
                     ({drawn} drawn, shrunk to the fewest and shortest that still fail); with them the run breaks {}. \
                     Press n to jump to the first finding.",
                    if kept.len() == 1 { "fault".to_owned() } else { format!("{} faults", kept.len()) },
                    if kept.len() == 1 { "is" } else { "are" },
                    expectation.describe()
                );
                scenario.notes = vec![Note { at: Duration::ZERO, text }];
                Some(Reproduction { seed, breaks, drawn, kept, scenario })
            }
        };
        Ok(Report { name: scenario.name.clone(), seeds, stopped, expectations, verdicts, reproduction })
    }

    pub fn failing(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts.iter().filter(|v| v.failed())
    }

    /// How many seeds broke each expectation.
    pub fn failures(&self) -> Vec<u64> {
        let mut counts = vec![0; self.expectations.len()];
        for v in self.failing() {
            for &e in &v.broken {
                counts[e] += 1;
            }
        }
        counts
    }

    /// The failing seeds grouped by the set of expectations they break, the largest group
    /// first (then by its lowest seed).
    pub fn by_expectations(&self) -> Vec<(Vec<usize>, Vec<u64>)> {
        group(self.failing().map(|v| (v.broken.clone(), v.seed)))
    }

    /// The failing seeds grouped by finding class, in the classes' order.
    pub fn by_class(&self) -> Vec<(FindingClass, Vec<u64>)> {
        FindingClass::ALL
            .into_iter()
            .map(|class| (class, self.failing().filter(|v| v.classes.contains(&class)).map(|v| v.seed).collect()))
            .filter(|(_, seeds): &(FindingClass, Vec<u64>)| !seeds.is_empty())
            .collect()
    }
}

fn group<K: Ord + Clone>(items: impl Iterator<Item = (K, u64)>) -> Vec<(K, Vec<u64>)> {
    let mut groups: std::collections::BTreeMap<K, Vec<u64>> = std::collections::BTreeMap::new();
    for (key, seed) in items {
        groups.entry(key).or_default().push(seed);
    }
    let mut groups: Vec<(K, Vec<u64>)> = groups.into_iter().collect();
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.1[0].cmp(&b.1[0])));
    groups
}

/// Writes the reproduction into `dir` as `STEM-seed-N.json`, atomically (a temporary file
/// in the same folder, renamed); the path written.
pub fn write_reproduction(reproduction: &Reproduction, dir: &Path, stem: &str) -> std::io::Result<PathBuf> {
    let path = dir.join(format!("{stem}-seed-{}.json", reproduction.seed));
    let mut text = serde_json::to_string_pretty(&reproduction.scenario).map_err(std::io::Error::other)?;
    text.push('\n');
    let temp = dir.join(format!(".{stem}-seed-{}.json.tmp-{}", reproduction.seed, std::process::id()));
    std::fs::write(&temp, text).and_then(|()| std::fs::rename(&temp, &path)).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })?;
    Ok(path)
}
