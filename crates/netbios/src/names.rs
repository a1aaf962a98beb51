//! A LANA's local name table as NCB commands see it (sans-IO): name numbers, limits, the
//! states NCBASTAT reports. The network side (registration, defence, release) is the
//! responder's; this table only holds what succeeded.

use crate::nb30::{NCBNAMSZ, Nrc, name_flags, nrc};

/// Name number of the permanent node name (NAME_NUMBER_1).
pub const PERMANENT_NAME_NUMBER: u8 = 1;
/// The highest name number.
pub const MAX_NAME_NUMBER: u8 = 254;

/// A name in the local table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalName {
    /// The 16 bytes of the name.
    pub name: [u8; NCBNAMSZ],
    /// Its name number (`ncb_num`).
    pub number: u8,
    /// Whether it is a group name.
    pub group: bool,
    /// Deleted while sessions use it: gone when they end.
    pub deregistered: bool,
}

impl LocalName {
    /// NAME_BUFFER's `name_flags` for it.
    pub fn flags(&self) -> u8 {
        let group = if self.group {
            name_flags::GROUP_NAME
        } else {
            name_flags::UNIQUE_NAME
        };
        let state = if self.deregistered {
            name_flags::DEREGISTERED
        } else {
            name_flags::REGISTERED
        };
        group | state
    }
}

/// The local names of one LANA, at most `capacity` (NCBRESET's `ncb_callname[2]`).
#[derive(Debug, Clone)]
pub struct LocalNames {
    entries: Vec<LocalName>,
    capacity: usize,
    last_number: u8,
}

impl LocalNames {
    /// An empty table of at most `capacity` names.
    pub fn new(capacity: usize) -> LocalNames {
        LocalNames {
            entries: Vec::new(),
            capacity,
            last_number: PERMANENT_NAME_NUMBER,
        }
    }

    /// Why `name` cannot be added, as an NRC code: a wildcard or empty name
    /// ([`nrc::NRC_NOWILD`]), one already here ([`nrc::NRC_DUPNAME`]), a full table
    /// ([`nrc::NRC_NAMTFUL`]).
    pub fn check_add(&self, name: &[u8; NCBNAMSZ]) -> Result<(), Nrc> {
        if name[0] == b'*' || name[0] == 0 {
            return Err(Nrc(nrc::NRC_NOWILD));
        }
        if self.find(name).is_some() {
            return Err(Nrc(nrc::NRC_DUPNAME));
        }
        if self.entries.len() >= self.capacity {
            return Err(Nrc(nrc::NRC_NAMTFUL));
        }
        Ok(())
    }

    /// Adds `name` and returns its number: the next after the last one given, from 2 to 254
    /// and round again, skipping numbers in use (as Windows numbers names).
    pub fn add(&mut self, name: [u8; NCBNAMSZ], group: bool) -> Result<u8, Nrc> {
        self.check_add(&name)?;
        let mut number = self.last_number;
        for _ in 0..MAX_NAME_NUMBER {
            number = if number >= MAX_NAME_NUMBER {
                2
            } else {
                number + 1
            };
            if self.by_number(number).is_none() {
                self.last_number = number;
                self.entries.push(LocalName {
                    name,
                    number,
                    group,
                    deregistered: false,
                });
                return Ok(number);
            }
        }
        Err(Nrc(nrc::NRC_NAMTFUL))
    }

    /// Adds the permanent node name (number 1): ten zero bytes and the MAC address.
    pub fn add_permanent(&mut self, mac: [u8; 6]) {
        let mut name = [0u8; NCBNAMSZ];
        name[10..].copy_from_slice(&mac);
        self.entries
            .retain(|entry| entry.number != PERMANENT_NAME_NUMBER);
        self.entries.push(LocalName {
            name,
            number: PERMANENT_NAME_NUMBER,
            group: false,
            deregistered: false,
        });
    }

    /// The entry for `name`.
    pub fn find(&self, name: &[u8; NCBNAMSZ]) -> Option<&LocalName> {
        self.entries.iter().find(|entry| &entry.name == name)
    }

    /// The entry numbered `number`.
    pub fn by_number(&self, number: u8) -> Option<&LocalName> {
        self.entries.iter().find(|entry| entry.number == number)
    }

    /// Marks `name` deleted-while-in-use.
    pub fn mark_deregistered(&mut self, name: &[u8; NCBNAMSZ]) {
        if let Some(entry) = self.entries.iter_mut().find(|entry| &entry.name == name) {
            entry.deregistered = true;
        }
    }

    /// Removes `name`.
    pub fn remove(&mut self, name: &[u8; NCBNAMSZ]) -> Option<LocalName> {
        let index = self.entries.iter().position(|entry| &entry.name == name)?;
        Some(self.entries.remove(index))
    }

    /// Every name, in the order they were added.
    pub fn entries(&self) -> &[LocalName] {
        &self.entries
    }

    /// Removes and returns every name.
    pub fn clear(&mut self) -> Vec<LocalName> {
        std::mem::take(&mut self.entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ncb::name_field;

    #[test]
    fn names_are_numbered_from_two_and_round_again() {
        let mut names = LocalNames::new(254);
        assert_eq!(names.add(name_field(b"FIRST"), false), Ok(2));
        assert_eq!(names.add(name_field(b"SECOND"), true), Ok(3));
        names.remove(&name_field(b"FIRST"));
        // Numbers are not reused at once: the next is 4, not 2.
        assert_eq!(names.add(name_field(b"THIRD"), false), Ok(4));
        let mut wrapped = LocalNames::new(254);
        wrapped.last_number = MAX_NAME_NUMBER;
        assert_eq!(wrapped.add(name_field(b"X"), false), Ok(2));
    }

    #[test]
    fn duplicates_wildcards_and_a_full_table_are_refused() {
        let mut names = LocalNames::new(2);
        names.add(name_field(b"ONE"), false).unwrap();
        assert_eq!(
            names.add(name_field(b"ONE"), true),
            Err(Nrc(nrc::NRC_DUPNAME))
        );
        assert_eq!(
            names.add(name_field(b"*"), false),
            Err(Nrc(nrc::NRC_NOWILD))
        );
        assert_eq!(names.add([0; 16], false), Err(Nrc(nrc::NRC_NOWILD)));
        names.add(name_field(b"TWO"), false).unwrap();
        assert_eq!(
            names.add(name_field(b"THREE"), false),
            Err(Nrc(nrc::NRC_NAMTFUL))
        );
    }

    #[test]
    fn flags_say_group_and_state() {
        let mut names = LocalNames::new(8);
        names.add(name_field(b"G"), true).unwrap();
        names.add_permanent([2, 0, 0, 0, 0, 1]);
        assert_eq!(names.find(&name_field(b"G")).unwrap().flags(), 0x84);
        names.mark_deregistered(&name_field(b"G"));
        assert_eq!(names.find(&name_field(b"G")).unwrap().flags(), 0x85);
        let permanent = names.by_number(1).unwrap();
        assert_eq!(&permanent.name[10..], &[2, 0, 0, 0, 0, 1]);
        assert_eq!(names.clear().len(), 2);
        assert!(names.entries().is_empty());
    }
}
