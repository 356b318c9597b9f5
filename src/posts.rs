//! The seed article's workload, ready to use: JSONPlaceholder posts and
//! their titles, fetched concurrently.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::{gather, Client, Error, Gather};

/// A post as JSONPlaceholder (and fanout's dev server) serves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Post {
    /// The author's user id.
    pub user_id: u64,
    /// The post id.
    pub id: u64,
    /// The title.
    pub title: String,
    /// The text.
    pub body: String,
}

/// Fetches one post, `posts/{id}` under the client's base URL; a 4xx or 5xx
/// status is an error.
///
/// ```no_run
/// # async fn run() -> Result<(), fanout::Error> {
/// let client = fanout::Client::builder().base_url("http://127.0.0.1:8080/").build()?;
/// let post = fanout::posts::fetch_post(&client, 1).await?;
/// assert_eq!(post.id, 1);
/// # Ok(()) }
/// ```
pub async fn fetch_post(client: &Client, id: u64) -> Result<Post, Error> {
    client
        .get(format!("posts/{id}"))
        .error_for_status(true)
        .send()
        .await?
        .json()
        .await
}

/// The titles of the posts `ids`, fetched concurrently, in the order of
/// `ids`; a post that fails keeps its place as an `Err`. Returns a
/// [`Gather`], so a limit, fail-fast or a progress callback can be added
/// before awaiting it.
///
/// ```no_run
/// # async fn run() -> Result<(), fanout::Error> {
/// let client = fanout::Client::builder().base_url("http://127.0.0.1:8080/").build()?;
/// let titles = fanout::posts::fetch_titles(&client, 1..=100).limit(10).await;
/// assert_eq!(titles.len(), 100);
/// # Ok(()) }
/// ```
pub fn fetch_titles<'a, I>(
    client: &'a Client,
    ids: I,
) -> Gather<'a, impl Future<Output = Result<String, Error>> + 'a>
where
    I: IntoIterator<Item = u64>,
    I::IntoIter: 'a,
{
    gather(
        ids.into_iter()
            .map(move |id| async move { fetch_post(client, id).await.map(|p| p.title) }),
    )
}
