//! `Chained`: schedules applied one after another at every step, their factors multiplying, as torch's ChainedScheduler.

use serde::{Deserialize, Serialize};

use crate::sequential::Child;
use crate::{Invalid, Schedule, ScheduleConfig};

/// Config of [`Chained`]: torch.optim.lr_scheduler.ChainedScheduler's schedulers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainedConfig {
    /// The schedules, in order (`[[schedule.schedules]]` tables with a `kind`; any built-in one
    /// except `plateau`, `sequential` and `chained`).
    pub schedules: Vec<Child>,
}

impl ScheduleConfig for ChainedConfig {
    const KIND: &'static str = "chained";
    const SUMMARY: &'static str = "torch ChainedScheduler: schedules (a list of schedule tables), each stepping from the rate the ones before it set";

    fn validate(&self) -> Result<(), Invalid> {
        if self.schedules.is_empty() {
            return Err(Invalid::new("schedules", "needs at least one schedule"));
        }
        for (i, child) in self.schedules.iter().enumerate() {
            child.validate().map_err(|e| Invalid {
                key: "schedules",
                reason: format!("schedule {i}: {}: {}", e.key, e.reason),
            })?;
        }
        Ok(())
    }

    fn build(&self, base_lr: f64, iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        let mut links = Vec::new();
        for (i, child) in self.schedules.iter().enumerate() {
            links.push(
                child
                    .start(base_lr, iterations, false)
                    .map_err(|e| Invalid {
                        key: "schedules",
                        reason: format!("schedule {i}: {}: {}", e.key, e.reason),
                    })?,
            );
        }
        // torch constructs the schedulers in order, each taking its initial step from the rate
        // the ones before it set.
        let mut lr = base_lr;
        for link in &mut links {
            lr = link.chained(lr, None);
        }
        Ok(Box::new(Chained { links, lr }))
    }
}

/// torch's ChainedScheduler: every step, each schedule in turn steps from the rate the ones before
/// it set ([`Schedule::chained`]); the last one's rate is the step's. Chainable schedules multiply
/// their factors; one that computes from its base rate (`lambda`, `onecycle`, `cyclic`,
/// `cosine_warm_restarts`) overrides the ones before it, as in torch. The momentum is the last
/// cycling link's.
pub struct Chained {
    links: Vec<Box<dyn Schedule>>,
    lr: f64,
}

impl Schedule for Chained {
    fn lr(&self) -> f64 {
        self.lr
    }

    fn step(&mut self, loss: f64) {
        let mut lr = self.lr;
        for link in &mut self.links {
            lr = link.chained(lr, Some(loss));
        }
        self.lr = lr;
    }

    fn momentum(&self) -> Option<f64> {
        self.links.iter().rev().find_map(|l| l.momentum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lrs, torch_hex};

    fn chain(toml_text: &str) -> ChainedConfig {
        toml::from_str(toml_text).expect("config")
    }

    fn check(config: &ChainedConfig, want: &[&str]) {
        let got = lrs(config, 0.1, 40);
        for (k, (got, want)) in got.iter().zip(torch_hex(want)).enumerate() {
            assert_eq!(got.to_bits(), want.to_bits(), "k = {k}: {got} vs {want}");
        }
    }

    /// PyTorch 2.15's ChainedScheduler on SGD(lr = 0.1), 40 steps: every rate bit for bit.
    #[test]
    fn chains_equal_torchs_bit_for_bit() {
        check(
            &chain(
                "[[schedules]]\nkind = \"constant\"\nfactor = 0.1\ntotal_iters = 20\n\
                 [[schedules]]\nkind = \"exponential\"\ngamma = 0.9\n",
            ),
            &CONSTANT_EXPONENTIAL,
        );
        check(
            &chain(
                "[[schedules]]\nkind = \"linear\"\nstart_factor = 0.25\nend_factor = 1.0\ntotal_iters = 10\n\
                 [[schedules]]\nkind = \"cosine\"\nt_max = 15\neta_min = 1e-3\n",
            ),
            &LINEAR_COSINE,
        );
        check(
            &chain(
                "[[schedules]]\nkind = \"step\"\nstep_size = 7\ngamma = 0.5\n\
                 [[schedules]]\nkind = \"multiplicative\"\nfactor = \"0.97\"\n\
                 [[schedules]]\nkind = \"polynomial\"\ntotal_iters = 30\npower = 2.0\n\
                 [[schedules]]\nkind = \"multistep\"\nmilestones = [5, 12, 12]\ngamma = 0.5\n",
            ),
            &STEP_MULTIPLICATIVE_POLYNOMIAL_MULTISTEP,
        );
        // LambdaLR computes from the base rate: it overrides the exponential before it.
        check(
            &chain(
                "[[schedules]]\nkind = \"exponential\"\ngamma = 0.95\n\
                 [[schedules]]\nkind = \"lambda\"\nfactor = \"1 / (1 + 0.1 * t)\"\n",
            ),
            &EXPONENTIAL_LAMBDA,
        );
    }

    #[test]
    fn an_empty_chain_is_refused() {
        let c = ChainedConfig { schedules: vec![] };
        assert_eq!(c.validate().expect_err("empty").key, "schedules");
    }

    const CONSTANT_EXPONENTIAL: [&str; 40] = [
        "0x1.47ae147ae147cp-7",
        "0x1.26e978d4fdf3dp-7",
        "0x1.096bb98c7e284p-7",
        "0x1.ddc1e7967caeep-8",
        "0x1.adfb506dd69d6p-8",
        "0x1.82fbc862dac0ep-8",
        "0x1.5c490125c4e0dp-8",
        "0x1.3974e76ecaca5p-8",
        "0x1.1a1c69e3b682ep-8",
        "0x1.fbccbe99e21edp-9",
        "0x1.c90511f0e51bcp-9",
        "0x1.9b515cf267cc3p-9",
        "0x1.722fa073c3d16p-9",
        "0x1.4d2add34fd094p-9",
        "0x1.2bd9c71616eecp-9",
        "0x1.0ddd9993e1708p-9",
        "0x1.e5c2147095ca8p-10",
        "0x1.b52eabfeed364p-10",
        "0x1.8976cdff08b0dp-10",
        "0x1.621e1fcbee38cp-10",
        "0x1.8e61e3c56bffep-7",
        "0x1.668b4cfe7accbp-7",
        "0x1.42b092183b51dp-7",
        "0x1.226bb6af68967p-7",
        "0x1.0560f13777baap-7",
        "0x1.d67b4bca3de99p-8",
        "0x1.a76ef76937b8ap-8",
        "0x1.7d1711deb2263p-8",
        "0x1.56fb29aed388cp-8",
        "0x1.34aed8b6f194bp-8",
        "0x1.15d08fd7d96c4p-8",
        "0x1.f41102eaedc2ep-9",
        "0x1.c20f4f6d092f6p-9",
        "0x1.950dc77bbb777p-9",
        "0x1.6c8c66bc28b85p-9",
        "0x1.4817f60fbe3f8p-9",
        "0x1.2748c3daf805fp-9",
        "0x1.09c17d11df389p-9",
        "0x1.de5c478691cc4p-10",
        "0x1.ae86405f8337dp-10",
    ];
    const LINEAR_COSINE: [&str; 40] = [
        "0x1.999999999999ap-6",
        "0x1.076ba6f062b22p-5",
        "0x1.39e3aed6bcc82p-5",
        "0x1.60d46eb4a2666p-5",
        "0x1.7994fc43ad7abp-5",
        "0x1.826c6531e067ap-5",
        "0x1.7abba7612ae4bp-5",
        "0x1.6316a013f89c8p-5",
        "0x1.3d4a2db36ba00p-5",
        "0x1.0c4ec2936d354p-5",
        "0x1.a84f81e366394p-6",
        "0x1.1e53288cd55b6p-6",
        "0x1.58656ba8b7c80p-7",
        "0x1.5bac3f75eabbdp-8",
        "0x1.11b2e3ee582fdp-9",
        "0x1.0624dd2f1a9fcp-10",
        "0x1.10da0d4543302p-9",
        "0x1.59ff4f2e47556p-8",
        "0x1.568ba549d9490p-7",
        "0x1.1cb8c2fb8a9a4p-6",
        "0x1.a5e353f7ced8ap-6",
        "0x1.20636c64e4e9dp-5",
        "0x1.734f2da1a89c2p-5",
        "0x1.c8152c7b036b9p-5",
        "0x1.0d8076dbe38f1p-4",
        "0x1.34395810624ddp-4",
        "0x1.5683fc4f735d8p-4",
        "0x1.72e0b8651adafp-4",
        "0x1.8812381b718edp-4",
        "0x1.952b5ca42beaap-4",
        "0x1.999999999999bp-4",
        "0x1.952b5ca42beabp-4",
        "0x1.8812381b718efp-4",
        "0x1.72e0b8651adb1p-4",
        "0x1.5683fc4f735d9p-4",
        "0x1.34395810624e0p-4",
        "0x1.0d8076dbe38f5p-4",
        "0x1.c8152c7b036bfp-5",
        "0x1.734f2da1a89cdp-5",
        "0x1.20636c64e4ea2p-5",
    ];
    const STEP_MULTIPLICATIVE_POLYNOMIAL_MULTISTEP: [&str; 40] = [
        "0x1.999999999999ap-4",
        "0x1.734417fe533fcp-4",
        "0x1.4fb8458604320p-4",
        "0x1.2ecd913a46f03p-4",
        "0x1.105d675290278p-4",
        "0x1.e88634f7e0196p-6",
        "0x1.b4b79c2840266p-6",
        "0x1.850cc29c4d3c9p-7",
        "0x1.5946b66e74346p-7",
        "0x1.3129af25d2416p-7",
        "0x1.0c7ce90bcc24cp-7",
        "0x1.d615041ca7d16p-8",
        "0x1.993eb03dd2848p-10",
        "0x1.6215d1fdfdccap-10",
        "0x1.303e66d60ee77p-11",
        "0x1.0361332bfe34dp-11",
        "0x1.b657139f50c13p-12",
        "0x1.6e9e2bc6625a5p-12",
        "0x1.2f034e2ba192dp-12",
        "0x1.edf400637f87ap-13",
        "0x1.8bfa9cdfa1798p-13",
        "0x1.371ee3f5a558fp-14",
        "0x1.dce5e676e46b8p-15",
        "0x1.622bdb5b1898ap-15",
        "0x1.f8cd7394db608p-16",
        "0x1.540a64f7d3c66p-16",
        "0x1.a631c50abe080p-17",
        "0x1.ccb83b2e9a407p-18",
        "0x1.8d3e23196400fp-20",
        "0x1.815350204f156p-22",
        "0x0.0p+0",
        "0x0.0p+0",
        "0x0.0p+0",
        "0x0.0p+0",
        "0x0.0p+0",
        "0x0.0p+0",
        "0x0.0p+0",
        "0x0.0p+0",
        "0x0.0p+0",
        "0x0.0p+0",
    ];
    const EXPONENTIAL_LAMBDA: [&str; 40] = [
        "0x1.999999999999ap-4",
        "0x1.745d1745d1746p-4",
        "0x1.5555555555556p-4",
        "0x1.3b13b13b13b14p-4",
        "0x1.2492492492493p-4",
        "0x1.1111111111111p-4",
        "0x1.0000000000000p-4",
        "0x1.e1e1e1e1e1e1dp-5",
        "0x1.c71c71c71c71dp-5",
        "0x1.af286bca1af28p-5",
        "0x1.999999999999ap-5",
        "0x1.8618618618618p-5",
        "0x1.745d1745d1746p-5",
        "0x1.642c8590b2165p-5",
        "0x1.5555555555555p-5",
        "0x1.47ae147ae147cp-5",
        "0x1.3b13b13b13b14p-5",
        "0x1.2f684bda12f68p-5",
        "0x1.2492492492493p-5",
        "0x1.1a7b9611a7b96p-5",
        "0x1.1111111111111p-5",
        "0x1.0842108421084p-5",
        "0x1.0000000000000p-5",
        "0x1.f07c1f07c1f07p-6",
        "0x1.e1e1e1e1e1e1dp-6",
        "0x1.d41d41d41d41dp-6",
        "0x1.c71c71c71c71dp-6",
        "0x1.bacf914c1bacfp-6",
        "0x1.af286bca1af28p-6",
        "0x1.a41a41a41a41ap-6",
        "0x1.999999999999ap-6",
        "0x1.8f9c18f9c18fbp-6",
        "0x1.8618618618618p-6",
        "0x1.7d05f417d05f4p-6",
        "0x1.745d1745d1746p-6",
        "0x1.6c16c16c16c17p-6",
        "0x1.642c8590b2165p-6",
        "0x1.5c9882b931058p-6",
        "0x1.5555555555555p-6",
        "0x1.4e5e0a72f0539p-6",
    ];
}
