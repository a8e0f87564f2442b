//! Response shapes more than one action writes.

use super::{boundaries, tags};
use crate::protocol::XmlOut;
use crate::store::{GroupRecord, UserRecord};

/// The `User` shape; list responses leave the boundary and tags out, as IAM does.
pub fn write_user(w: &mut XmlOut, user: &UserRecord, full: bool) {
    w.text("Path", &user.path);
    w.text("UserName", &user.name);
    w.text("UserId", &user.id);
    w.text("Arn", &user.arn());
    w.time("CreateDate", user.create_date);
    if full {
        boundaries::write(w, user.permissions_boundary.as_deref());
    }
    if full && !user.tags.is_empty() {
        tags::write(w, &user.tags);
    }
}

/// The `Group` shape.
pub fn write_group(w: &mut XmlOut, g: &GroupRecord) {
    w.text("Path", &g.path);
    w.text("GroupName", &g.name);
    w.text("GroupId", &g.id);
    w.text("Arn", &g.arn());
    w.time("CreateDate", g.create_date);
}
