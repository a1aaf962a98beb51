//! The argument checks of CPython's `PyArg_ParseTuple` family, with its messages, for the
//! functions pywin32 defines with `METH_VARARGS`: a script (or a test) that matches on the text
//! of a `TypeError` sees what it sees on Windows.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::convert::Argument;

/// What a format string says about the arguments of a function that takes positional
/// arguments only.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Positional {
    /// The function's name, as `METH_VARARGS` refuses keywords with it.
    pub(crate) name: &'static str,
    /// Whether the format names the function (`"O|i:Name"`): messages then start with
    /// `Name()` instead of `function`.
    pub(crate) named: bool,
    /// The number of required arguments (before `|`).
    pub(crate) min: usize,
    /// The number of format units.
    pub(crate) max: usize,
}

impl Positional {
    /// The arguments, once their number is checked: the keywords refused as a `METH_VARARGS`
    /// function refuses them, then the count as `PyArg_ParseTuple` checks it.
    pub(crate) fn parse<'py>(
        &self,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        if kwargs.is_some_and(|kwargs| !kwargs.is_empty()) {
            return Err(PyTypeError::new_err(format!(
                "{}() takes no keyword arguments",
                self.name
            )));
        }
        let given = args.len();
        if given < self.min || given > self.max {
            let (how, count) = if self.min == self.max {
                ("exactly", self.min)
            } else if given < self.min {
                ("at least", self.min)
            } else {
                ("at most", self.max)
            };
            return Err(PyTypeError::new_err(format!(
                "{} takes {how} {count} argument{} ({given} given)",
                self.function(),
                if count == 1 { "" } else { "s" },
            )));
        }
        Ok(args.iter().collect())
    }

    /// How messages name the function.
    fn function(&self) -> String {
        if self.named {
            format!("{}()", self.name)
        } else {
            "function".to_owned()
        }
    }

    /// The argument at `index` (from 0) of this format, for messages.
    pub(crate) fn argument(&self, index: usize) -> Argument {
        Argument {
            function: self.named.then_some(self.name),
            number: index + 1,
        }
    }
}
