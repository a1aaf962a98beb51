//! `NETRESOURCE` and the winnetwk.h constants of its fields and of the connection flags.

/// The provider name Windows gives its SMB network.
pub const PROVIDER_NAME: &str = "Microsoft Windows Network";

/// `dwScope`: which resources an enumeration covers.
pub mod scope {
    /// Connected resources.
    pub const RESOURCE_CONNECTED: u32 = 1;
    /// The whole network, walked as a hierarchy.
    pub const RESOURCE_GLOBALNET: u32 = 2;
    /// Remembered (persistent) connections.
    pub const RESOURCE_REMEMBERED: u32 = 3;
    /// Recent connections (obsolete).
    pub const RESOURCE_RECENT: u32 = 4;
    /// The caller's network context (its workgroup's servers).
    pub const RESOURCE_CONTEXT: u32 = 5;
}

/// `dwType`: what kind of resource.
pub mod resource_type {
    /// Any kind.
    pub const RESOURCETYPE_ANY: u32 = 0;
    /// A disk (file share).
    pub const RESOURCETYPE_DISK: u32 = 1;
    /// A printer.
    pub const RESOURCETYPE_PRINT: u32 = 2;
    /// Reserved.
    pub const RESOURCETYPE_RESERVED: u32 = 8;
    /// Unknown (0xFFFFFFFF; -1 as Python reads it).
    pub const RESOURCETYPE_UNKNOWN: u32 = 0xFFFF_FFFF;
}

/// `dwUsage`: what can be done with a resource.
pub mod usage {
    /// It can be connected to.
    pub const RESOURCEUSAGE_CONNECTABLE: u32 = 1;
    /// It holds other resources (enumerable).
    pub const RESOURCEUSAGE_CONTAINER: u32 = 2;
    /// No local device is needed to connect.
    pub const RESOURCEUSAGE_NOLOCALDEVICE: u32 = 4;
    /// A sibling resource.
    pub const RESOURCEUSAGE_SIBLING: u32 = 8;
    /// Enumerate only if the user is authenticated.
    pub const RESOURCEUSAGE_ATTACHED: u32 = 16;
    /// CONNECTABLE | CONTAINER | ATTACHED.
    pub const RESOURCEUSAGE_ALL: u32 = 19;
    /// Reserved (set on provider entries).
    pub const RESOURCEUSAGE_RESERVED: u32 = 0x8000_0000;
}

/// `dwDisplayType`: how a resource is shown.
pub mod display_type {
    /// Generic.
    pub const RESOURCEDISPLAYTYPE_GENERIC: u32 = 0;
    /// A domain or workgroup.
    pub const RESOURCEDISPLAYTYPE_DOMAIN: u32 = 1;
    /// A server.
    pub const RESOURCEDISPLAYTYPE_SERVER: u32 = 2;
    /// A share.
    pub const RESOURCEDISPLAYTYPE_SHARE: u32 = 3;
    /// A file.
    pub const RESOURCEDISPLAYTYPE_FILE: u32 = 4;
    /// A group.
    pub const RESOURCEDISPLAYTYPE_GROUP: u32 = 5;
    /// A network (provider).
    pub const RESOURCEDISPLAYTYPE_NETWORK: u32 = 6;
    /// The root of the network.
    pub const RESOURCEDISPLAYTYPE_ROOT: u32 = 7;
    /// An administrative share.
    pub const RESOURCEDISPLAYTYPE_SHAREADMIN: u32 = 8;
    /// A directory.
    pub const RESOURCEDISPLAYTYPE_DIRECTORY: u32 = 9;
    /// A tree.
    pub const RESOURCEDISPLAYTYPE_TREE: u32 = 10;
    /// An NDS container.
    pub const RESOURCEDISPLAYTYPE_NDSCONTAINER: u32 = 11;
}

/// `dwFlags` of WNetAddConnection2/3 and WNetCancelConnection2.
pub mod connect {
    /// Remember the connection (restore it at logon).
    pub const CONNECT_UPDATE_PROFILE: u32 = 0x1;
    /// Do not put it in the recent list.
    pub const CONNECT_UPDATE_RECENT: u32 = 0x2;
    /// Do not remember it.
    pub const CONNECT_TEMPORARY: u32 = 0x4;
    /// The system may ask the user for credentials.
    pub const CONNECT_INTERACTIVE: u32 = 0x8;
    /// Always ask the user (with INTERACTIVE).
    pub const CONNECT_PROMPT: u32 = 0x10;
    /// A drive is needed.
    pub const CONNECT_NEED_DRIVE: u32 = 0x20;
    /// Reference counted.
    pub const CONNECT_REFCOUNT: u32 = 0x40;
    /// Redirect a local device, picking one if none is named.
    pub const CONNECT_REDIRECT: u32 = 0x80;
    /// The connection is a local drive (an output of WNetUseConnection).
    pub const CONNECT_LOCALDRIVE: u32 = 0x100;
    /// Unused.
    pub const CONNECT_CURRENT_MEDIA: u32 = 0x200;
    /// Deferred.
    pub const CONNECT_DEFERRED: u32 = 0x400;
    /// Prompt on the command line (with INTERACTIVE).
    pub const CONNECT_COMMANDLINE: u32 = 0x800;
    /// Save the credentials typed at the prompt.
    pub const CONNECT_CMD_SAVECRED: u32 = 0x1000;
    /// Re-prompt for saved credentials.
    pub const CONNECT_CRED_RESET: u32 = 0x2000;
    /// Require SMB signing.
    pub const CONNECT_REQUIRE_INTEGRITY: u32 = 0x4000;
    /// Require SMB encryption.
    pub const CONNECT_REQUIRE_PRIVACY: u32 = 0x8000;
    /// Write through on the mapping.
    pub const CONNECT_WRITE_THROUGH_SEMANTICS: u32 = 0x10000;
    /// A global mapping.
    pub const CONNECT_GLOBAL_MAPPING: u32 = 0x40000;
    /// Reserved bits.
    pub const CONNECT_RESERVED: u32 = 0xFF00_0000;
}

/// `WNetGetUniversalName` levels.
pub mod info_level {
    /// UNIVERSAL_NAME_INFO: the UNC name.
    pub const UNIVERSAL_NAME_INFO_LEVEL: u32 = 1;
    /// REMOTE_NAME_INFO: the UNC name, the connection and the remaining path.
    pub const REMOTE_NAME_INFO_LEVEL: u32 = 2;
}

/// winnetwk.h's `NETRESOURCE`: a network resource and how it is reached.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct NetResource {
    /// `dwScope` ([`scope`]).
    pub scope: u32,
    /// `dwType` ([`resource_type`]).
    pub resource_type: u32,
    /// `dwDisplayType` ([`display_type`]).
    pub display_type: u32,
    /// `dwUsage` ([`usage`]).
    pub usage: u32,
    /// `lpLocalName`: the redirected local device (`X:`, or a directory here), if any.
    pub local_name: Option<String>,
    /// `lpRemoteName`: `\\server\share`, `\\server`, a workgroup or the provider.
    pub remote_name: Option<String>,
    /// `lpComment`: the provider's comment.
    pub comment: Option<String>,
    /// `lpProvider`: the provider's name.
    pub provider: Option<String>,
}

impl NetResource {
    /// Whether the resource holds others (`RESOURCEUSAGE_CONTAINER`).
    pub fn is_container(&self) -> bool {
        self.usage & usage::RESOURCEUSAGE_CONTAINER != 0
    }

    /// The network root's one provider entry, as Windows enumerates it.
    pub fn provider_root() -> NetResource {
        NetResource {
            scope: scope::RESOURCE_GLOBALNET,
            resource_type: resource_type::RESOURCETYPE_ANY,
            display_type: display_type::RESOURCEDISPLAYTYPE_NETWORK,
            usage: usage::RESOURCEUSAGE_CONTAINER | usage::RESOURCEUSAGE_RESERVED,
            local_name: None,
            remote_name: Some(PROVIDER_NAME.to_owned()),
            comment: None,
            provider: Some(PROVIDER_NAME.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_have_winnetwk_values() {
        assert_eq!(usage::RESOURCEUSAGE_ALL, 1 | 2 | 16);
        assert_eq!(resource_type::RESOURCETYPE_UNKNOWN.cast_signed(), -1);
        assert_eq!(usage::RESOURCEUSAGE_RESERVED.cast_signed(), i32::MIN);
        assert_eq!(connect::CONNECT_RESERVED.cast_signed(), -16_777_216);
        let root = NetResource::provider_root();
        assert_eq!(root.usage.cast_signed(), -2_147_483_646);
        assert!(root.is_container());
    }
}
