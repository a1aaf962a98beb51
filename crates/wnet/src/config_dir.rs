//! Where wnet keeps the user's configuration that outlives a session: saved credentials and
//! remembered connections (what Windows keeps under HKCU).
//!
//! The directory is trusted only if it is the user's own, not a symbolic link, and not
//! writable by group or others; a missing one is made with mode 0700. Its files are read and
//! written through `wnet_host::user_state` (`open_private_read`, `write_private`), which check
//! the directory that way each time and refuse a file that is not the user's, that others can
//! write, or that is a link.

use std::path::PathBuf;

/// The variable that names the configuration directory outright (tests and unusual setups).
pub const CONFIG_DIR_VARIABLE: &str = "WNET_CONFIG_DIR";

/// The user's wnet configuration directory: `$WNET_CONFIG_DIR`, else `$XDG_CONFIG_HOME/wnet`,
/// else `$HOME/.config/wnet`; `None` when none of them is set. Empty values count as unset, and
/// a relative `$XDG_CONFIG_HOME` is ignored, as the XDG base directory specification asks.
pub fn config_dir() -> Option<PathBuf> {
    config_dir_from(&|name| std::env::var(name).ok())
}

/// [`config_dir`] with the environment read through `env` (so that tests need not change the
/// process environment).
pub fn config_dir_from(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let get = |name: &str| env(name).filter(|value| !value.is_empty());
    if let Some(dir) = get(CONFIG_DIR_VARIABLE) {
        return Some(PathBuf::from(dir));
    }
    if let Some(xdg) = get("XDG_CONFIG_HOME").map(PathBuf::from)
        && xdg.is_absolute()
    {
        return Some(xdg.join("wnet"));
    }
    get("HOME").map(|home| PathBuf::from(home).join(".config").join("wnet"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(vars: &[(&str, &str)]) -> Option<PathBuf> {
        config_dir_from(&|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn the_explicit_directory_then_xdg_then_home() {
        let all = [
            ("WNET_CONFIG_DIR", "/etc/wnet-test"),
            ("XDG_CONFIG_HOME", "/home/u/.xdg"),
            ("HOME", "/home/u"),
        ];
        assert_eq!(dir_with(&all), Some(PathBuf::from("/etc/wnet-test")));
        assert_eq!(
            dir_with(&all[1..]),
            Some(PathBuf::from("/home/u/.xdg/wnet"))
        );
        assert_eq!(
            dir_with(&all[2..]),
            Some(PathBuf::from("/home/u/.config/wnet"))
        );
        assert_eq!(dir_with(&[]), None);
    }

    #[test]
    fn empty_values_and_a_relative_xdg_directory_are_ignored() {
        assert_eq!(
            dir_with(&[
                ("WNET_CONFIG_DIR", ""),
                ("XDG_CONFIG_HOME", "relative/dir"),
                ("HOME", "/home/u"),
            ]),
            Some(PathBuf::from("/home/u/.config/wnet"))
        );
        assert_eq!(dir_with(&[("HOME", "")]), None);
    }
}
