//! The package's exceptions: `descent.DescentError`, and `descent.ConfigError` with the file, line, key and reason of a bad config.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use descent_runner::Origin;

pyo3::create_exception!(
    descent,
    DescentError,
    PyException,
    "Something descent could not do: a run that could not start or finish, a sweep that could not be planned."
);
pyo3::create_exception!(
    descent,
    ConfigError,
    DescentError,
    "A bad config, with the message of the command line. Attributes: `file`, `line` (None for a \
     dict config or a `set` key), `key` (dotted, '' for the whole config) and `reason`."
);

/// The Python exception for an error of the runner: a [`ConfigError`] with its parts as
/// attributes when a config is at fault (its line dropped when the config was a dict, whose
/// TOML text the user never saw), else a [`DescentError`]; the message is the command line's.
pub fn to_py(py: Python<'_>, e: anyhow::Error, from_dict: bool) -> PyErr {
    let Some(found) = e.downcast_ref::<descent_runner::ConfigError>() else {
        return DescentError::new_err(format!("{e:#}"));
    };
    let mut c = found.clone();
    if from_dict && matches!(c.origin, Origin::Line(_)) {
        c.origin = Origin::Unknown;
    }
    let message = if e.chain().count() == 1 {
        c.to_string()
    } else {
        format!("{e:#}")
    };
    let err = ConfigError::new_err(message);
    let value = err.value(py);
    let line = match c.origin {
        Origin::Line(n) => Some(n),
        _ => None,
    };
    let attributes = [
        value.setattr("file", c.file.display().to_string()),
        value.setattr("line", line),
        value.setattr("key", c.key.clone()),
        value.setattr("reason", c.reason.clone()),
    ];
    match attributes.into_iter().find_map(Result::err) {
        Some(failed) => failed,
        None => err,
    }
}
