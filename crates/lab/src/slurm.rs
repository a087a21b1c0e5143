//! `suite --emit slurm`: sbatch scripts that run a suite as a Slurm job array, one task per shard, and merge the shards in a job that waits for the array (`afterok`).
//!
//! Slurm is the scheduler of the clusters this field uses; descent writes scripts for it and no
//! scheduler of its own. The scripts assume what a cluster gives: the same file system (and this
//! binary at the same path) on every node.

use std::path::Path;

/// What the scripts run.
#[derive(Debug, Clone)]
pub struct SlurmPlan<'a> {
    /// The suite's name (the jobs' names).
    pub name: &'a str,
    /// This program, by absolute path.
    pub exe: &'a Path,
    /// The suite file, by absolute path.
    pub suite: &'a Path,
    /// The directory for the shards (`shard-1` ...), the logs and the merged suite.
    pub out: &'a Path,
    /// The working directory of every job (where the command was run).
    pub workdir: &'a Path,
    /// Shards: the array's tasks.
    pub shards: usize,
    /// At most this many tasks at once (`--array=1-n%k`).
    pub parallel: Option<usize>,
}

/// `text` as one single-quoted shell word.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn q(p: &Path) -> String {
    quote(&p.to_string_lossy())
}

/// The scripts, by file name: `array.sbatch`, `merge.sbatch` and `submit.sh`, which makes the
/// log directory and submits the two jobs, the merge depending on the array.
pub fn scripts(plan: &SlurmPlan<'_>) -> Vec<(&'static str, String)> {
    let n = plan.shards;
    let out = plan.out;
    let logs = out.join("logs");
    let throttle = plan.parallel.map_or_else(String::new, |k| format!("%{k}"));
    let array = format!(
        "#!/bin/bash\n\
         # A Slurm job array: one task per shard of the suite {name}.\n\
         #SBATCH --job-name={job}\n\
         #SBATCH --array=1-{n}{throttle}\n\
         #SBATCH --cpus-per-task=1\n\
         #SBATCH --output={logs}/shard-%a.out\n\
         #SBATCH --error={logs}/shard-%a.err\n\
         #SBATCH --chdir={workdir}\n\
         set -euo pipefail\n\
         exec {exe} suite {suite} --shard \"$SLURM_ARRAY_TASK_ID/{n}\" --out {out}/shard-\"$SLURM_ARRAY_TASK_ID\" --jobs 1\n",
        name = plan.name,
        job = slurm_name(plan.name),
        logs = logs.to_string_lossy(),
        workdir = plan.workdir.to_string_lossy(),
        exe = q(plan.exe),
        suite = q(plan.suite),
        out = q(out),
    );
    let merge = format!(
        "#!/bin/bash\n\
         # Merges the {n} shards of the suite {name} once the array has finished (afterok).\n\
         #SBATCH --job-name={job}-merge\n\
         #SBATCH --cpus-per-task=1\n\
         #SBATCH --output={logs}/merge.out\n\
         #SBATCH --error={logs}/merge.err\n\
         #SBATCH --chdir={workdir}\n\
         set -euo pipefail\n\
         exec {exe} suite merge {out}/shard-{{1..{n}}} --out {out}\n",
        name = plan.name,
        job = slurm_name(plan.name),
        logs = logs.to_string_lossy(),
        workdir = plan.workdir.to_string_lossy(),
        exe = q(plan.exe),
        out = q(out),
    );
    let submit = format!(
        "#!/bin/bash\n\
         # Submit the suite {name}: the array of {n} shards, then the merge, which waits for it.\n\
         set -euo pipefail\n\
         here=\"$(cd \"$(dirname \"$0\")\" && pwd)\"\n\
         mkdir -p {logs}\n\
         array=$(sbatch --parsable \"$here/array.sbatch\")\n\
         array=${{array%%;*}}\n\
         merge=$(sbatch --parsable --dependency=afterok:\"$array\" \"$here/merge.sbatch\")\n\
         merge=${{merge%%;*}}\n\
         echo \"submitted: the array $array ({n} shards) and the merge $merge (after it)\"\n",
        name = plan.name,
        logs = q(&logs),
    );
    vec![
        ("array.sbatch", array),
        ("merge.sbatch", merge),
        ("submit.sh", submit),
    ]
}

/// A job name Slurm shows plainly: letters, digits, `-` and `_`.
fn slurm_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("descent-{clean}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_array_has_a_task_per_shard_and_the_merge_waits_for_it() {
        let plan = SlurmPlan {
            name: "quick",
            exe: Path::new("/opt/descent/xtask"),
            suite: Path::new("/home/me/suites/it's.toml"),
            out: Path::new("/scratch/quick"),
            workdir: Path::new("/home/me"),
            shards: 8,
            parallel: Some(3),
        };
        let s = scripts(&plan);
        let get = |n: &str| &s.iter().find(|(f, _)| *f == n).expect(n).1;
        let array = get("array.sbatch");
        assert!(array.contains("#SBATCH --array=1-8%3\n"), "{array}");
        assert!(array.contains("#SBATCH --output=/scratch/quick/logs/shard-%a.out"));
        assert!(array.contains("--shard \"$SLURM_ARRAY_TASK_ID/8\""));
        assert!(
            array.contains(r"'/home/me/suites/it'\''s.toml'"),
            "quoted: {array}"
        );
        let merge = get("merge.sbatch");
        assert!(merge.contains("suite merge '/scratch/quick'/shard-{1..8} --out '/scratch/quick'"));
        let submit = get("submit.sh");
        assert!(submit.contains("--dependency=afterok:\"$array\""));
        assert!(submit.contains("mkdir -p '/scratch/quick/logs'"));
    }
}
