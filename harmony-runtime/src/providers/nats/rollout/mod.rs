//! Staged rollouts of a fleet score: its devices' new desired state goes out canary first, then
//! wave by wave, as its [`RolloutPolicy`] says.
//!
//! - A device is **done** when its agent reports it converged at the revision written, with
//!   every workload of that key running and not restarted, for `healthy_for` without a break.
//! - It **fails** when a workload fails, exits or restarts at that revision, or when it is not
//!   done within `timeout` (an offline device fails this way, with "offline" as the reason).
//!   A failed device is rolled back to its previous revision at once.
//! - When `failure_threshold` devices have failed, the rollout **halts**: the devices still in
//!   flight are rolled back too, done devices stay, and it waits for `harmony rollout resume`
//!   (the failed and rolled-back devices are tried again) or `harmony rollout abort` (every
//!   device it updated goes back to its previous revision).
//! - With fewer failures than the threshold it goes on and ends done, the failed devices rolled
//!   back and listed with their reasons; `harmony rollout resume` tries them again.
//!
//! The rollout's state lives in the `harmony-rollouts` bucket ([`record`]): the previous bytes
//! of every device's key are stored there *before* its new state is written, and every write of
//! the state is compare-and-set. The operator driving a rollout holds a lease on it, renewed as
//! it goes; another operator is refused while the lease holds, and takes over where the first
//! one stopped once it has run out (a killed operator), writing no device twice.
//!
//! Each stage reads every desired key once ([`FleetStore::snapshot`]); each batch writes its
//! devices' records and desired states together, the desired states compare-and-set at the
//! snapshot's revisions ([`FleetStore::apply_each`]), so a key someone else changed after
//! that read fails its device alone, never overwritten.

mod health;
mod in_apply;
pub mod record;
mod target;
mod view;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use harmony_dsl::Error;
use harmony_dsl::outcome::Observed;
use harmony_dsl::resource::DeviceSpec;
use harmony_dsl::rollout::Stage;

pub use health::{Health, judge};
pub use in_apply::{RolloutCommand, RolloutRegistry, apply_in_rollout};
pub use record::{
    DeviceRecord, DeviceState, ROLLOUT_BUCKET, RolloutBook, RolloutPhase, RolloutRecord, Versioned,
};
pub use target::RolloutTarget;
pub use view::{RolloutReport, RolloutView, status_lines};

use futures_util::StreamExt;
use futures_util::future::try_join_all;

use super::FleetStore;
use super::store::fanout::Snapshot;
use super::wire::{DeviceStatus, decode_spec, encode_spec, now_ms};

/// Writes and reads of one batch in flight at once.
const IN_FLIGHT: usize = 64;

/// Why the operator starts driving a rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `apply`: start it, or continue it where another (dead) operator left it.
    Start,
    /// `rollout resume`: move a halted rollout on.
    Resume,
}

/// A device being rolled out in the current batch.
struct Active {
    device: String,
    record: Versioned<DeviceRecord>,
    since: Instant,
    healthy_since: Option<Instant>,
    last: String,
}

/// What came of a stage.
enum StageEnd {
    Completed,
    Halted(String),
}

/// The operator side of rollouts over one fleet store.
pub struct Rollouts {
    store: FleetStore,
    book: RolloutBook,
    operator: String,
    lease: Duration,
    poll: Duration,
}

impl Rollouts {
    /// Rollouts through `store`, opening (creating) the rollouts bucket.
    pub async fn new(store: FleetStore) -> Result<Self, Error> {
        let book = RolloutBook::open(store.client(), store.url(), store.namespace()).await?;
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "operator".to_string());
        let inbox = store.client().new_inbox();
        let unique = inbox.rsplit('.').next().unwrap_or_default().to_string();
        Ok(Rollouts {
            store,
            book,
            operator: format!("{host}:{}:{unique}", std::process::id()),
            lease: Duration::from_secs(15),
            poll: Duration::from_millis(100),
        })
    }

    /// How long this operator's claim on a rollout holds without renewal (15 s by default):
    /// how long another operator waits before it takes over from a dead one.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Drives rollouts under `name` instead of a name of its own (host, process, random).
    pub fn operator_name(mut self, name: String) -> Self {
        self.operator = name;
        self
    }

    /// How often device statuses are read (100 ms by default).
    pub fn poll(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// This operator's name in the rollout state.
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// The bucket.
    pub fn book(&self) -> &RolloutBook {
        &self.book
    }

    /// Rolls `target` out: starts it, continues it where a dead operator left it, or does
    /// nothing when it is done. Refused while another operator drives it, while it is halted,
    /// and while a rollout of another version of the score is running or halted.
    /// `progress` gets one line per event (device done or failed, stage done, halt).
    pub async fn run(
        &self,
        target: &RolloutTarget,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<RolloutReport, Error> {
        self.drive(target, Mode::Start, progress).await
    }

    /// Moves a halted rollout of `target` on: its failed and rolled-back devices are tried
    /// again, then the next stages follow.
    pub async fn resume(
        &self,
        target: &RolloutTarget,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<RolloutReport, Error> {
        self.drive(target, Mode::Resume, progress).await
    }

    /// The rollout of `score` and its devices, if there is one.
    pub async fn view(&self, score: &str) -> Result<Option<RolloutView>, Error> {
        let Some(record) = self.book.rollout(score).await? else {
            return Ok(None);
        };
        let devices = self.all_devices(&record.value).await?;
        Ok(Some(RolloutView {
            record: record.value,
            devices: devices.into_iter().map(|(d, r)| (d, r.value)).collect(),
        }))
    }

    async fn all_devices(
        &self,
        record: &RolloutRecord,
    ) -> Result<BTreeMap<String, Versioned<DeviceRecord>>, Error> {
        let names: Vec<String> = record
            .stages
            .iter()
            .flat_map(|s| s.devices.iter().cloned())
            .collect();
        self.book.devices(&record.score, &names).await
    }

    /// Aborts the rollout of `score`: it stops (an operator driving it is refused at its next
    /// write) and every device it wrote goes back to its previous revision.
    pub async fn abort(
        &self,
        score: &str,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<RolloutReport, Error> {
        let Some(current) = self.book.rollout(score).await? else {
            return Err(Error::permanent(format!(
                "there is no rollout of `{score}` to abort"
            )));
        };
        let mut record = current.value;
        if matches!(record.phase, RolloutPhase::Done | RolloutPhase::Aborted) {
            return Err(Error::permanent(format!(
                "the rollout of `{score}` is {}: there is nothing to abort",
                record.phase.as_str()
            )));
        }
        record.phase = RolloutPhase::Aborted;
        record.reason = Some(format!("aborted by {}", self.operator));
        record.owner = None;
        record.updated_ms = now_ms();
        self.book
            .put_rollout(&record, Some(current.revision))
            .await?;
        progress(&format!(
            "rollout {score}: aborted; rolling back every device it updated"
        ));
        for (device, mut entry) in self.all_devices(&record).await? {
            if matches!(entry.value.state, DeviceState::InFlight | DeviceState::Done) {
                let note = self.roll_back(&entry.value).await?;
                entry.value.state = DeviceState::RolledBack;
                entry.value.reason = Some(note.unwrap_or_else(|| "aborted".to_string()));
                self.book
                    .put_device(score, &entry.value, Some(entry.revision))
                    .await?;
                progress(&format!("rollout {score}: {device} rolled back"));
            }
        }
        let view = self
            .view(score)
            .await?
            .ok_or_else(|| Error::permanent(format!("the rollout of `{score}` vanished")))?;
        Ok(RolloutReport { view, acted: true })
    }

    async fn drive(
        &self,
        target: &RolloutTarget,
        mode: Mode,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<RolloutReport, Error> {
        let group = target.group()?;
        let digest = target.digest(&group);
        let Some((mut record, mut revision)) =
            self.claim(target, &group, &digest, mode, progress).await?
        else {
            let view = self.view(&target.score).await?.ok_or_else(|| {
                Error::permanent(format!("the rollout of `{}` vanished", target.score))
            })?;
            return Ok(RolloutReport { view, acted: false });
        };
        let mut devices = self.all_devices(&record).await?;
        if mode == Mode::Resume {
            let mut retried = Vec::new();
            for (device, entry) in devices.iter_mut() {
                if matches!(
                    entry.value.state,
                    DeviceState::Failed | DeviceState::RolledBack
                ) {
                    entry.value.state = DeviceState::Pending;
                    entry.value.reason = None;
                    entry.revision = self
                        .book
                        .put_device(&target.score, &entry.value, Some(entry.revision))
                        .await?;
                    retried.push(device.clone());
                }
            }
            // A device retried in an earlier stage (a failed canary under the threshold, or
            // any stage of a done rollout) goes out again from its own stage.
            let first = record
                .stages
                .iter()
                .position(|s| s.devices.iter().any(|d| retried.contains(d)));
            if let Some(first) = first.filter(|f| *f < record.stage) {
                record.stage = first;
                progress(&format!(
                    "rollout {}: back to the {} for its failed devices",
                    target.score,
                    record.stage_name()
                ));
                self.renew(&mut record, &mut revision, true).await?;
            }
        }
        let mut failed = devices
            .values()
            .filter(|d| d.value.state == DeviceState::Failed)
            .count();
        while record.stage < record.stages.len() {
            let stage = record.stages[record.stage].clone();
            let end = self
                .run_stage(
                    target,
                    &mut record,
                    &mut revision,
                    &stage,
                    &mut devices,
                    &mut failed,
                    progress,
                )
                .await?;
            match end {
                StageEnd::Completed => {
                    progress(&format!(
                        "rollout {}: {} done ({} devices)",
                        target.score,
                        stage.name,
                        stage.devices.len()
                    ));
                    record.stage += 1;
                    self.renew(&mut record, &mut revision, true).await?;
                }
                StageEnd::Halted(reason) => {
                    progress(&format!("rollout {}: halted: {reason}", target.score));
                    record.phase = RolloutPhase::Halted;
                    record.reason = Some(reason);
                    record.owner = None;
                    self.renew(&mut record, &mut revision, true).await?;
                    return self.report(&target.score).await;
                }
            }
        }
        record.phase = RolloutPhase::Done;
        record.reason = None;
        record.owner = None;
        self.renew(&mut record, &mut revision, true).await?;
        progress(&format!("rollout {}: done", target.score));
        self.report(&target.score).await
    }

    async fn report(&self, score: &str) -> Result<RolloutReport, Error> {
        let view = self
            .view(score)
            .await?
            .ok_or_else(|| Error::permanent(format!("the rollout of `{score}` vanished")))?;
        Ok(RolloutReport { view, acted: true })
    }

    /// Takes the rollout for this operator (creating it when new); `None` when it is done.
    async fn claim(
        &self,
        target: &RolloutTarget,
        group: &[String],
        digest: &str,
        mode: Mode,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<Option<(RolloutRecord, u64)>, Error> {
        let score = &target.score;
        let fresh = || RolloutRecord {
            score: score.clone(),
            target: digest.to_string(),
            policy: target.policy.clone(),
            stages: target.policy.stages(group),
            stage: 0,
            phase: RolloutPhase::Running,
            reason: None,
            owner: Some(self.operator.clone()),
            lease_until_ms: now_ms() + self.lease.as_millis() as u64,
            updated_ms: now_ms(),
        };
        let existing = self.book.rollout(score).await?;
        let (mut record, revision) = match existing {
            None if mode == Mode::Resume => {
                return Err(Error::permanent(format!(
                    "there is no rollout of `{score}` to resume"
                )));
            }
            None => {
                let record = fresh();
                let revision = self.book.put_rollout(&record, None).await?;
                progress(&format!(
                    "rollout {score}: started ({})",
                    stage_sizes(&record.stages)
                ));
                return Ok(Some((record, revision)));
            }
            Some(v) => (v.value, v.revision),
        };
        let busy = matches!(record.phase, RolloutPhase::Running | RolloutPhase::Halted);
        if record.target != digest {
            if busy {
                return Err(Error::conflict(format!(
                    "a rollout of another version of `{score}` is {} at {}: finish it with the plan that started it, or `harmony rollout abort {score}`",
                    record.phase.as_str(),
                    record.stage_name()
                )));
            }
            if mode == Mode::Resume {
                return Err(Error::permanent(format!(
                    "the rollout of `{score}` is {}: there is nothing to resume",
                    record.phase.as_str()
                )));
            }
            // A new version after a finished one: previous device records belong to the old
            // rollout and are overwritten (their revisions are read again as each is written).
            self.clear_devices(&record).await?;
            let record = fresh();
            let revision = self.book.put_rollout(&record, Some(revision)).await?;
            progress(&format!(
                "rollout {score}: started ({})",
                stage_sizes(&record.stages)
            ));
            return Ok(Some((record, revision)));
        }
        match (record.phase, mode) {
            (RolloutPhase::Done, Mode::Start) => return Ok(None),
            (RolloutPhase::Done, Mode::Resume) => {
                // Done with failures under the threshold: resume tries those devices again.
                let retry = self
                    .all_devices(&record)
                    .await?
                    .values()
                    .filter(|d| {
                        matches!(d.value.state, DeviceState::Failed | DeviceState::RolledBack)
                    })
                    .count();
                if retry == 0 {
                    return Ok(None);
                }
                progress(&format!(
                    "rollout {score}: resumed after it was done, trying its {retry} failed devices again"
                ));
            }
            (RolloutPhase::Aborted, Mode::Resume) => {
                return Err(Error::permanent(format!(
                    "the rollout of `{score}` was aborted: apply again to start it over"
                )));
            }
            (RolloutPhase::Aborted, Mode::Start) => {
                self.clear_devices(&record).await?;
                let record = fresh();
                let revision = self.book.put_rollout(&record, Some(revision)).await?;
                progress(&format!("rollout {score}: started over after an abort"));
                return Ok(Some((record, revision)));
            }
            (RolloutPhase::Halted, Mode::Start) => {
                return Err(Error::permanent(format!(
                    "the rollout of `{score}` halted at {}: {}; `harmony rollout resume {score}` tries the failed devices again, `harmony rollout abort {score}` rolls every device back",
                    record.stage_name(),
                    record
                        .reason
                        .as_deref()
                        .unwrap_or("failures reached the threshold")
                )));
            }
            (RolloutPhase::Running, Mode::Resume) => {
                return Err(Error::permanent(format!(
                    "the rollout of `{score}` is running, not halted: there is nothing to resume"
                )));
            }
            (RolloutPhase::Running, Mode::Start) => {
                let now = now_ms();
                if record.owner.as_deref() != Some(self.operator.as_str())
                    && record.lease_until_ms > now
                {
                    return Err(Error::conflict(format!(
                        "the rollout of `{score}` is being driven by operator `{}` (at {}, its claim holds {} ms more); follow it with `harmony rollout status`",
                        record.owner.as_deref().unwrap_or("?"),
                        record.stage_name(),
                        record.lease_until_ms - now
                    )));
                }
                match record.owner.as_deref() {
                    Some(owner) if owner == self.operator => progress(&format!(
                        "rollout {score}: continuing at {} after this run's connection to NATS was lost",
                        record.stage_name()
                    )),
                    owner => progress(&format!(
                        "rollout {score}: continuing at {} where operator `{}` left it",
                        record.stage_name(),
                        owner.unwrap_or("?")
                    )),
                }
            }
            (RolloutPhase::Halted, Mode::Resume) => {
                progress(&format!(
                    "rollout {score}: resumed at {}",
                    record.stage_name()
                ));
            }
        }
        record.phase = RolloutPhase::Running;
        record.reason = None;
        record.owner = Some(self.operator.clone());
        record.lease_until_ms = now_ms() + self.lease.as_millis() as u64;
        record.updated_ms = now_ms();
        // Compare-and-set: of two operators taking over at once, one gets a conflict.
        let revision = self.book.put_rollout(&record, Some(revision)).await?;
        Ok(Some((record, revision)))
    }

    /// Marks every device record of a finished rollout pending, so the next rollout of the
    /// score starts from what the devices run now.
    async fn clear_devices(&self, record: &RolloutRecord) -> Result<(), Error> {
        for (_, mut entry) in self.all_devices(record).await? {
            entry.value.state = DeviceState::Pending;
            entry.value.reason = None;
            entry.value.new_revision = None;
            entry.value.previous = None;
            entry.value.previous_revision = None;
            self.book
                .put_device(&record.score, &entry.value, Some(entry.revision))
                .await?;
        }
        Ok(())
    }

    /// Renews this operator's claim when half of it is gone (or always with `force`), writing
    /// `record`; a conflict means another operator took the rollout over or aborted it.
    async fn renew(
        &self,
        record: &mut RolloutRecord,
        revision: &mut u64,
        force: bool,
    ) -> Result<(), Error> {
        let now = now_ms();
        let half = self.lease.as_millis() as u64 / 2;
        if !force && record.lease_until_ms > now + half {
            return Ok(());
        }
        if record.phase == RolloutPhase::Running {
            record.lease_until_ms = now + self.lease.as_millis() as u64;
        }
        record.updated_ms = now;
        *revision = self
            .book
            .put_rollout(record, Some(*revision))
            .await
            .map_err(|e| {
                // A server out of reach is not another operator: the caller retries.
                if e.is_transient() {
                    return e;
                }
                Error::conflict(format!(
                    "the rollout of `{}` was taken over or aborted by another operator; this one stopped ({e})",
                    record.score
                ))
            })?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_stage(
        &self,
        target: &RolloutTarget,
        record: &mut RolloutRecord,
        revision: &mut u64,
        stage: &Stage,
        devices: &mut BTreeMap<String, Versioned<DeviceRecord>>,
        failed: &mut usize,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<StageEnd, Error> {
        let score = &target.score;
        let policy = &record.policy.clone();
        let healthy_for = policy.healthy_for.as_std();
        let timeout = policy.timeout.as_std();
        // One read of every key, for the whole stage: a key is written only by its own batch,
        // so the revisions read stay right for the later batches; a key someone else changes
        // meanwhile is a conflict for that device alone.
        let snapshot = self.store.snapshot().await?;
        for batch in stage.devices.chunks(policy.in_flight(stage.devices.len())) {
            let mut todo = Vec::new();
            for device in batch {
                let state = devices.get(device).map(|d| d.value.state);
                if matches!(
                    state,
                    Some(DeviceState::Done | DeviceState::Failed | DeviceState::RolledBack)
                ) {
                    continue;
                }
                todo.push((target.spec(device)?, devices.remove(device)));
            }
            let mut active = Vec::new();
            for entry in self.write_batch(score, &snapshot, todo).await? {
                let device = entry.value.device.clone();
                if entry.value.state == DeviceState::Failed {
                    *failed += 1;
                    progress(&format!(
                        "rollout {score}: {} {device} failed: {}",
                        stage.name,
                        entry.value.reason.as_deref().unwrap_or("")
                    ));
                    devices.insert(device, entry);
                    continue;
                }
                active.push(Active {
                    device,
                    record: entry,
                    since: Instant::now(),
                    healthy_since: None,
                    last: String::new(),
                });
            }
            while !active.is_empty() || *failed >= policy.failure_threshold as usize {
                if *failed >= policy.failure_threshold as usize {
                    let mut rolled = Vec::new();
                    for mut a in active.drain(..) {
                        let note = self.roll_back(&a.record.value).await?;
                        a.record.value.state = DeviceState::RolledBack;
                        a.record.value.reason = Some(note.unwrap_or_else(|| {
                            format!("in flight when the rollout halted ({})", a.last)
                        }));
                        a.record.revision = self
                            .book
                            .put_device(score, &a.record.value, Some(a.record.revision))
                            .await?;
                        rolled.push(a.device.clone());
                        devices.insert(a.device, a.record);
                    }
                    let reasons: Vec<String> = devices
                        .values()
                        .filter(|d| d.value.state == DeviceState::Failed)
                        .map(|d| {
                            format!(
                                "{}: {}",
                                d.value.device,
                                d.value.reason.as_deref().unwrap_or("failed")
                            )
                        })
                        .collect();
                    let mut reason = format!(
                        "{} devices failed, threshold {} ({})",
                        *failed,
                        policy.failure_threshold,
                        reasons.join("; ")
                    );
                    if !rolled.is_empty() {
                        reason.push_str(&format!("; rolled back in flight: {}", rolled.join(", ")));
                    }
                    return Ok(StageEnd::Halted(reason));
                }
                self.renew(record, revision, false).await?;
                let now = now_ms();
                let mut still = Vec::new();
                let mut done = Vec::new();
                let statuses = self.statuses(&active).await?;
                for (mut a, status) in active.drain(..).zip(statuses) {
                    let new_revision = a.record.value.new_revision.unwrap_or(0);
                    let verdict = judge(status.as_ref(), &a.record.value.key, new_revision, now);
                    let failure = match verdict {
                        Health::Healthy => {
                            let since = *a.healthy_since.get_or_insert_with(Instant::now);
                            if since.elapsed() >= healthy_for {
                                a.record.value.state = DeviceState::Done;
                                done.push(a);
                                continue;
                            }
                            None
                        }
                        Health::Waiting(why) => {
                            a.healthy_since = None;
                            a.last = why.clone();
                            (a.since.elapsed() >= timeout)
                                .then(|| format!("not healthy after {}: {why}", policy.timeout))
                        }
                        Health::Failing(why) => Some(why),
                    };
                    match failure {
                        None => still.push(a),
                        Some(why) => {
                            let note = self.roll_back(&a.record.value).await?;
                            a.record.value.state = DeviceState::Failed;
                            a.record.value.reason = Some(match note {
                                Some(note) => format!("{why}; {note}"),
                                None => format!("{why}; rolled back"),
                            });
                            a.record.revision = self
                                .book
                                .put_device(score, &a.record.value, Some(a.record.revision))
                                .await?;
                            *failed += 1;
                            progress(&format!(
                                "rollout {score}: {} {} failed: {why}",
                                stage.name, a.device
                            ));
                            devices.insert(a.device.clone(), a.record);
                        }
                    }
                }
                // The devices done in this round, their records written all at once.
                for chunk in done.chunks_mut(IN_FLIGHT) {
                    try_join_all(chunk.iter_mut().map(|a| async move {
                        a.record.revision = self
                            .book
                            .put_device(score, &a.record.value, Some(a.record.revision))
                            .await?;
                        Ok::<_, Error>(())
                    }))
                    .await?;
                }
                for a in done {
                    progress(&format!(
                        "rollout {score}: {} {} done at revision {}",
                        stage.name,
                        a.device,
                        a.record.value.new_revision.unwrap_or_default()
                    ));
                    devices.insert(a.device.clone(), a.record);
                }
                active = still;
                if !active.is_empty() {
                    tokio::time::sleep(self.poll).await;
                }
            }
        }
        Ok(StageEnd::Completed)
    }

    /// The last status of each device of `active`, in order, read concurrently.
    async fn statuses(&self, active: &[Active]) -> Result<Vec<Option<DeviceStatus>>, Error> {
        let mut statuses = Vec::with_capacity(active.len());
        for chunk in active.chunks(IN_FLIGHT) {
            statuses
                .extend(try_join_all(chunk.iter().map(|a| self.store.status(&a.device))).await?);
        }
        Ok(statuses)
    }

    /// Writes a batch of devices of rollout `score`, each spec with the record it has (`None`:
    /// never written), all at once in three rounds: every record in flight with the previous
    /// bytes (from `snapshot`); then the desired states, compare-and-set at the snapshot's
    /// revisions ([`FleetStore::apply_each`]); then the revisions written. A device left in
    /// flight by a dead operator is picked up: its new state is recognised, never written twice.
    /// A device whose key changed under the rollout is not written: its record says failed.
    /// The records come back in the batch's order.
    async fn write_batch(
        &self,
        score: &str,
        snapshot: &Snapshot,
        batch: Vec<(&DeviceSpec, Option<Versioned<DeviceRecord>>)>,
    ) -> Result<Vec<Versioned<DeviceRecord>>, Error> {
        // 1. The records, before any desired state: a crash leaves what to roll back to.
        let mut entries = Vec::with_capacity(batch.len());
        for chunk in batch.chunks(IN_FLIGHT) {
            let records = chunk
                .iter()
                .map(|(spec, existing)| self.begin(score, snapshot, spec, existing.as_ref()));
            entries.extend(try_join_all(records).await?);
        }
        // 2. What to write: the key still as the record saw it (the snapshot's revision).
        let mut writes = Vec::new();
        for (i, ((spec, _), entry)) in batch.iter().zip(&mut entries).enumerate() {
            let record = &mut entry.value;
            if record.new_revision.is_some() {
                continue;
            }
            let new_bytes = encode_spec(spec);
            match snapshot.entry(&record.key) {
                // Already the new state: written before a crash, or unchanged by this version.
                Some((rev, bytes)) if bytes.as_ref() == new_bytes.as_slice() => {
                    record.new_revision = Some(rev);
                }
                Some((rev, _)) if Some(rev) == record.previous_revision => writes.push(i),
                None if record.previous_revision.is_none() => writes.push(i),
                _ => changed_under_the_rollout(record),
            }
        }
        // 3. The desired states, many in flight, each checked against the snapshot.
        let specs: Vec<DeviceSpec> = writes.iter().map(|i| batch[*i].0.clone()).collect();
        let mut written = std::pin::pin!(self.store.apply_each(snapshot, &specs, IN_FLIGHT));
        while let Some((k, result)) = written.next().await {
            let record = &mut entries[writes[k]].value;
            match result {
                Ok((_, revision)) => record.new_revision = Some(revision),
                Err(e) if e.kind() == harmony_dsl::ErrorKind::Conflict => {
                    changed_under_the_rollout(record)
                }
                Err(e) => return Err(e),
            }
        }
        // 4. The records again: the revision written, or why not.
        for chunk in entries.chunks_mut(IN_FLIGHT) {
            let writes = chunk.iter_mut().map(|entry| async move {
                entry.revision = self
                    .book
                    .put_device(score, &entry.value, Some(entry.revision))
                    .await?;
                Ok::<_, Error>(())
            });
            try_join_all(writes).await?;
        }
        Ok(entries)
    }

    /// `spec`'s device record in flight: `existing` when a dead operator left it so, else a new
    /// one holding the bytes `snapshot` read, written (compare-and-set) before its desired state.
    async fn begin(
        &self,
        score: &str,
        snapshot: &Snapshot,
        spec: &DeviceSpec,
        existing: Option<&Versioned<DeviceRecord>>,
    ) -> Result<Versioned<DeviceRecord>, Error> {
        if let Some(entry) = existing.filter(|e| e.value.state == DeviceState::InFlight) {
            return Ok(entry.clone());
        }
        let key = self.store.key(spec);
        let current = snapshot.entry(&key);
        let record = DeviceRecord {
            device: spec.device.clone(),
            key,
            previous_revision: current.map(|c| c.0),
            previous: current.map(|c| String::from_utf8_lossy(c.1).into_owned()),
            new_revision: None,
            state: DeviceState::InFlight,
            reason: None,
        };
        let at = existing.map(|o| o.revision);
        let revision = self.book.put_device(score, &record, at).await?;
        Ok(Versioned {
            value: record,
            revision,
        })
    }

    /// Writes `record`'s previous state back, compare-and-set on the revision the rollout
    /// wrote; `Some(note)` when that was not possible (the key changed since).
    async fn roll_back(&self, record: &DeviceRecord) -> Result<Option<String>, Error> {
        let Some(new_revision) = record.new_revision else {
            return Ok(None);
        };
        let result = match &record.previous {
            Some(previous) => {
                let spec = decode_spec(previous.as_bytes()).map_err(|e| {
                    Error::permanent(format!(
                        "the previous desired state of device `{}` kept by the rollout is not readable",
                        record.device
                    ))
                    .with_source(e)
                })?;
                self.store
                    .apply_at(
                        &spec,
                        &Observed::Revision {
                            value: new_revision,
                        },
                    )
                    .await
                    .map(|_| ())
            }
            None => self.store.remove_key_at(&record.key, new_revision).await,
        };
        match result {
            Ok(()) => Ok(None),
            Err(e) if e.kind() == harmony_dsl::ErrorKind::Conflict => Ok(Some(format!(
                "not rolled back: its desired state changed after revision {new_revision}"
            ))),
            Err(e) => Err(e),
        }
    }
}

/// Marks `record` failed, not written: its key changed after the rollout read it.
fn changed_under_the_rollout(record: &mut DeviceRecord) {
    record.state = DeviceState::Failed;
    record.reason = Some(
        "its desired state was changed by someone else during the rollout; not written".to_string(),
    );
}

fn stage_sizes(stages: &[Stage]) -> String {
    stages
        .iter()
        .map(|s| format!("{} {}", s.name, s.devices.len()))
        .collect::<Vec<_>>()
        .join(", ")
}
