//! `Lambda` and `Multiplicative`: torch's LambdaLR (`lr = base f(t)`) and MultiplicativeLR (`lr <- lr f(t)`), with `f` a formula in the iteration `t`.

use serde::{Deserialize, Serialize};

use crate::formula::Formula;
use crate::{Invalid, Schedule, ScheduleConfig};

/// torch.optim.lr_scheduler.LambdaLR: `lr_t = base f(t)`.
#[derive(Debug, Clone)]
pub struct Lambda {
    base: f64,
    factor: Formula,
    t: usize,
    lr: f64,
}

impl Schedule for Lambda {
    fn lr(&self) -> f64 {
        self.lr
    }

    fn step(&mut self, _loss: f64) {
        self.t += 1;
        self.lr = self.base * self.factor.at(self.t).unwrap_or(f64::NAN);
    }
}

/// Config of [`Lambda`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaConfig {
    /// The factor as a formula in the iteration `t` (torch's `lr_lambda`), e.g. `"0.95 ^ t"` or
    /// `"1 / (1 + 0.1 t)"` written `"1 / (1 + 0.1 * t)"`.
    pub factor: String,
}

impl ScheduleConfig for LambdaConfig {
    const KIND: &'static str = "lambda";
    const SUMMARY: &'static str =
        "torch's LambdaLR: lr x factor(t), factor a formula in t such as \"0.95 ^ t\"";

    fn validate(&self) -> Result<(), Invalid> {
        Formula::parse("factor", &self.factor).map(drop)
    }

    fn build(&self, base_lr: f64, _iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        let mut factor = Formula::parse("factor", &self.factor)?;
        let lr = base_lr * factor.at(0).unwrap_or(f64::NAN);
        Ok(Box::new(Lambda {
            base: base_lr,
            factor,
            t: 0,
            lr,
        }))
    }
}

/// torch.optim.lr_scheduler.MultiplicativeLR: `lr_0 = base`, `lr_t = lr_{t-1} f(t)`.
#[derive(Debug, Clone)]
pub struct Multiplicative {
    factor: Formula,
    t: usize,
    lr: f64,
}

impl Schedule for Multiplicative {
    fn lr(&self) -> f64 {
        self.lr
    }

    fn step(&mut self, _loss: f64) {
        self.t += 1;
        self.lr *= self.factor.at(self.t).unwrap_or(f64::NAN);
    }

    fn chained(&mut self, group: f64, loss: Option<f64>) -> f64 {
        match loss {
            None => self.lr = group,
            Some(loss) => {
                self.lr = group;
                self.step(loss);
            }
        }
        self.lr
    }
}

/// Config of [`Multiplicative`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiplicativeConfig {
    /// The factor of each step as a formula in the iteration `t` (torch's `lr_lambda`), e.g.
    /// `"0.95"`.
    pub factor: String,
}

impl ScheduleConfig for MultiplicativeConfig {
    const KIND: &'static str = "multiplicative";
    const SUMMARY: &'static str =
        "torch's MultiplicativeLR: lr <- lr x factor(t) each step, factor a formula in t";

    fn validate(&self) -> Result<(), Invalid> {
        Formula::parse("factor", &self.factor).map(drop)
    }

    fn build(&self, base_lr: f64, _iterations: usize) -> Result<Box<dyn Schedule>, Invalid> {
        Ok(Box::new(Multiplicative {
            factor: Formula::parse("factor", &self.factor)?,
            t: 0,
            lr: base_lr,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{lrs, torch_hex};

    // The references are PyTorch 2.15's learning rates (`float.hex()`) for lr 0.1 and
    // `lr_lambda = lambda t: 0.95 ** t`, the first six iterations.

    #[test]
    fn lambda_is_torchs_lambdalr() {
        let torch = torch_hex(&[
            "0x1.999999999999ap-4",
            "0x1.851eb851eb852p-4",
            "0x1.71a9fbe76c8b4p-4",
            "0x1.5f2e48e8a71dep-4",
            "0x1.4d9f2ba9d1f60p-4",
            "0x1.3cf0cfe154434p-4",
        ]);
        let c = LambdaConfig {
            factor: "0.95 ^ t".into(),
        };
        assert_eq!(lrs(&c, 0.1, 6), torch);
    }

    #[test]
    fn multiplicative_is_torchs_multiplicativelr() {
        let torch = torch_hex(&[
            "0x1.999999999999ap-4",
            "0x1.851eb851eb852p-4",
            "0x1.5f2e48e8a71dep-4",
            "0x1.2d17f8afa9a64p-4",
            "0x1.ea7c3ca96526bp-5",
            "0x1.7b87368697588p-5",
        ]);
        let c = MultiplicativeConfig {
            factor: "0.95 ^ t".into(),
        };
        assert_eq!(lrs(&c, 0.1, 6), torch);
    }

    #[test]
    fn a_bad_formula_is_a_config_error_at_factor() {
        let e = LambdaConfig {
            factor: "0.95 ^ epoch".into(),
        }
        .validate()
        .expect_err("bad");
        assert_eq!(e.key, "factor");
    }
}
