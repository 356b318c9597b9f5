//! The posts the demo fetches: JSONPlaceholder's, which fanout's dev server
//! (`server/`) serves too, at `posts/{id}`.

use serde::Deserialize;

/// A post as JSONPlaceholder (and fanout's dev server) serves it.
///
/// The page shows only the title, but every field must be there: a wrong
/// API URL that answers some other JSON fails as a decode error rather than
/// listing empty titles.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // `user_id`, `id` and `body` are only checked, never read.
pub(crate) struct Post {
    /// The author's user id.
    pub user_id: u64,
    /// The post id.
    pub id: u64,
    /// The title.
    pub title: String,
    /// The text.
    pub body: String,
}
