//! Deterministic fixture data with JSONPlaceholder's shapes.
//!
//! Everything is generated in code from a seeded [`SplitMix64`] generator over
//! a built-in vocabulary of Latin-ish words, so every build of every machine
//! produces byte-identical JSON. Items are serialized once; the handlers only
//! copy (reference-counted) bytes around.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::OnceLock;

use axum::body::Bytes;
use serde::Serialize;
use serde_json::Value;

/// Title of post 42: an XSS probe. A page that renders titles as HTML would
/// execute the handler and set `window.__xss`.
pub const XSS_TITLE: &str = r#"<img src=x onerror="window.__xss=1">"#;

/// Number of posts.
pub const POSTS: u64 = 100;
/// Number of comments (5 per post).
pub const COMMENTS: u64 = 500;
/// Number of users.
pub const USERS: u64 = 10;
/// Number of todos.
pub const TODOS: u64 = 200;
/// Number of albums.
pub const ALBUMS: u64 = 100;
/// Number of photos (50 per album).
pub const PHOTOS: u64 = 5000;

/// The splitmix64 pseudo-random generator: tiny, fast and fully deterministic.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// One element of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// The vocabulary: everyday Latin nouns and adjectives (a word list, not text).
const WORDS: &[&str] = &[
    "acer", "adeo", "aequor", "agmen", "alacer", "altus", "amnis", "antrum", "arbor", "ardens",
    "arvum", "astrum", "aura", "avis", "axis", "beatus", "brevis", "caelum", "calor", "campus",
    "candor", "cantus", "carmen", "celer", "cera", "cinis", "civis", "clarus", "collis", "color",
    "cursus", "decus", "densus", "dies", "donum", "dulcis", "durus", "ebur", "eques", "fagus",
    "fama", "fanum", "ferrum", "fides", "flamma", "flos", "fluvius", "fons", "forma", "frons",
    "fulgor", "gaudium", "gelu", "gemma", "gradus", "gravis", "hasta", "hiems", "hora", "hortus",
    "ignis", "imber", "iter", "iuvenis", "labor", "lacus", "laetus", "lapis", "latus", "laurus",
    "levis", "liber", "limen", "litus", "lumen", "luna", "lux", "magnus", "mare", "mens", "miles",
    "mons", "mora", "munus", "murus", "navis", "nebula", "nemus", "nix", "nodus", "novus", "nubes",
    "nox", "oculus", "opus", "ora", "orbis", "otium", "palma", "parvus", "pax", "pelagus", "pes",
    "pinus", "pluvia", "pons", "portus", "pratum", "primus", "pulvis", "quies", "radix", "ramus",
    "rapidus", "ripa", "rivus", "robur", "rosa", "rota", "sagitta", "saxum", "sidus", "silva",
    "sol", "somnus", "sonus", "spes", "stella", "tectum", "tempus", "tenuis", "terra", "torrens",
    "turris", "umbra", "unda", "urbs", "vallis", "velox", "ventus", "ver", "via", "vitis", "vox",
    "vultus",
];

/// Syllables for made-up personal names.
const SYLLABLES: &[&str] = &[
    "al", "bri", "cas", "dor", "el", "fen", "gar", "hal", "ira", "jor", "ka", "lin", "mar", "nor",
    "ol", "per", "quin", "ros", "sel", "tam", "ul", "ven", "wil", "xan", "yor", "zel", "an", "eth",
    "is", "on", "ra", "vi",
];

const STREET_KINDS: &[&str] = &["Lane", "Row", "Court", "Walk", "Way", "Passage", "Terrace"];
const CITY_ENDINGS: &[&str] = &["ford", "haven", "stead", "mere", "holm", "field", "bury"];
const COMPANY_KINDS: &[&str] = &[
    "Works",
    "Collective",
    "Partners",
    "Guild",
    "Labs",
    "Cooperative",
];

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `lo..=hi` lowercase words separated by spaces.
fn words(rng: &mut SplitMix64, lo: u64, hi: u64) -> String {
    let n = rng.range(lo, hi);
    let mut out = String::new();
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(rng.pick(WORDS));
    }
    out
}

/// Whole words until the string is at least `min_len` bytes long.
fn words_of_len(rng: &mut SplitMix64, min_len: usize) -> String {
    let mut out = String::from(rng.pick(WORDS));
    while out.len() < min_len {
        out.push(' ');
        out.push_str(rng.pick(WORDS));
    }
    out
}

/// `lines` sentences of 6-12 words, one per line (JSONPlaceholder style).
fn paragraph(rng: &mut SplitMix64, lines: u64) -> String {
    (0..lines)
        .map(|_| words(rng, 6, 12))
        .collect::<Vec<_>>()
        .join("\n")
}

fn made_up_name(rng: &mut SplitMix64) -> String {
    let n = rng.range(2, 3);
    let raw: String = (0..n).map(|_| rng.pick(SYLLABLES)).collect();
    capitalize(&raw)
}

fn digits(rng: &mut SplitMix64, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect()
}

fn hex6(rng: &mut SplitMix64) -> String {
    format!("{:06x}", rng.next_u64() & 0xff_ffff)
}

fn coordinate(rng: &mut SplitMix64, max: u64) -> String {
    let whole = rng.below(max);
    let frac = rng.below(10_000);
    let sign = if rng.below(2) == 0 { "" } else { "-" };
    format!("{sign}{whole}.{frac:04}")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Post {
    user_id: u64,
    id: u64,
    title: String,
    body: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Comment {
    post_id: u64,
    id: u64,
    name: String,
    email: String,
    body: String,
}

#[derive(Serialize)]
struct Geo {
    lat: String,
    lng: String,
}

#[derive(Serialize)]
struct Address {
    street: String,
    suite: String,
    city: String,
    zipcode: String,
    geo: Geo,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Company {
    name: String,
    catch_phrase: String,
    bs: String,
}

#[derive(Serialize)]
struct User {
    id: u64,
    name: String,
    username: String,
    email: String,
    address: Address,
    phone: String,
    website: String,
    company: Company,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Todo {
    user_id: u64,
    id: u64,
    title: String,
    completed: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Album {
    user_id: u64,
    id: u64,
    title: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Photo {
    album_id: u64,
    id: u64,
    title: String,
    url: String,
    thumbnail_url: String,
}

/// One fixture item: its serialized JSON and its parsed value (for filtering
/// and merging).
#[derive(Debug, Clone)]
pub struct Item {
    id: u64,
    json: Bytes,
    value: Value,
}

impl Item {
    /// The item's `id`.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The item serialized as compact JSON, fields in JSONPlaceholder order.
    pub fn json(&self) -> &Bytes {
        &self.json
    }

    /// The item as a JSON object.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The string form of top-level field `name` (as json-server compares
    /// query filters): strings as-is, numbers and booleans printed, other
    /// values as compact JSON.
    pub fn field_str(&self, name: &str) -> Option<Cow<'_, str>> {
        Some(match self.value.get(name)? {
            Value::String(s) => Cow::Borrowed(s.as_str()),
            other => Cow::Owned(other.to_string()),
        })
    }
}

/// One collection (`posts`, `users`, ...).
#[derive(Debug, Clone)]
pub struct Resource {
    name: &'static str,
    fields: &'static [&'static str],
    items: Vec<Item>,
    all: Bytes,
}

impl Resource {
    fn from_items<T: Serialize>(
        name: &'static str,
        fields: &'static [&'static str],
        items: &[T],
    ) -> Self {
        let items: Vec<Item> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let json = serde_json::to_vec(item).expect("fixture serializes");
                let value: Value = serde_json::from_slice(&json).expect("fixture parses");
                debug_assert_eq!(value["id"].as_u64(), Some(i as u64 + 1));
                Item {
                    id: i as u64 + 1,
                    json: Bytes::from(json),
                    value,
                }
            })
            .collect();
        let all = Bytes::from(join_json(items.iter().map(|i| i.json.as_ref())));
        Resource {
            name,
            fields,
            items,
            all,
        }
    }

    /// Collection name, also its URL path segment.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Top-level field names in output order.
    pub fn fields(&self) -> &'static [&'static str] {
        self.fields
    }

    /// All items, ordered by id (ids are `1..=len`).
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the collection is empty (never, for the built-in fixtures).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The whole collection as one JSON array (pre-serialized).
    pub fn all_json(&self) -> &Bytes {
        &self.all
    }

    /// The item with `id`, if any.
    pub fn get(&self, id: u64) -> Option<&Item> {
        let index = usize::try_from(id.checked_sub(1)?).ok()?;
        self.items.get(index)
    }
}

/// `[a,b,c]` from serialized elements.
pub(crate) fn join_json<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.push(b'[');
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(part);
    }
    out.push(b']');
    out
}

/// All six collections.
#[derive(Debug, Clone)]
pub struct Fixtures {
    /// 100 posts: `{userId, id, title, body}`.
    pub posts: Resource,
    /// 500 comments, 5 per post: `{postId, id, name, email, body}`.
    pub comments: Resource,
    /// 10 users with nested address/geo/company objects.
    pub users: Resource,
    /// 200 todos: `{userId, id, title, completed}`.
    pub todos: Resource,
    /// 100 albums: `{userId, id, title}`.
    pub albums: Resource,
    /// 5000 photos (about 1 MB of JSON): `{albumId, id, title, url, thumbnailUrl}`.
    pub photos: Resource,
}

/// Names of the collections, in route order.
pub const RESOURCE_NAMES: &[&str] = &["posts", "comments", "users", "todos", "albums", "photos"];

static FIXTURES: OnceLock<Fixtures> = OnceLock::new();

impl Fixtures {
    /// The process-wide fixtures, built on first use.
    pub fn get() -> &'static Fixtures {
        FIXTURES.get_or_init(Fixtures::build)
    }

    /// Generates all fixtures. Deterministic: every call returns identical data.
    pub fn build() -> Fixtures {
        Fixtures {
            posts: build_posts(),
            comments: build_comments(),
            users: build_users(),
            todos: build_todos(),
            albums: build_albums(),
            photos: build_photos(),
        }
    }

    /// The collection called `name` (`"posts"`, ...).
    pub fn resource(&self, name: &str) -> Option<&Resource> {
        Some(match name {
            "posts" => &self.posts,
            "comments" => &self.comments,
            "users" => &self.users,
            "todos" => &self.todos,
            "albums" => &self.albums,
            "photos" => &self.photos,
            _ => return None,
        })
    }
}

fn build_posts() -> Resource {
    let mut rng = SplitMix64::new(0x0070_6f73_7473); // "posts"
    let mut seen = HashSet::new();
    let posts: Vec<Post> = (1..=POSTS)
        .map(|id| {
            let title = if id == 42 {
                XSS_TITLE.to_owned()
            } else {
                loop {
                    let t = words(&mut rng, 3, 8);
                    if seen.insert(t.clone()) {
                        break t;
                    }
                }
            };
            Post {
                user_id: (id - 1) / 10 + 1,
                id,
                title,
                body: paragraph(&mut rng, 4),
            }
        })
        .collect();
    Resource::from_items("posts", &["userId", "id", "title", "body"], &posts)
}

fn build_comments() -> Resource {
    let mut rng = SplitMix64::new(0x636f_6d6d_656e_7473); // "comments"
    let comments: Vec<Comment> = (1..=COMMENTS)
        .map(|id| {
            let email = format!(
                "{}_{}@{}.example",
                capitalize(rng.pick(WORDS)),
                rng.pick(WORDS),
                rng.pick(WORDS)
            );
            Comment {
                post_id: (id - 1) / 5 + 1,
                id,
                name: words(&mut rng, 3, 7),
                email,
                body: paragraph(&mut rng, 3),
            }
        })
        .collect();
    Resource::from_items(
        "comments",
        &["postId", "id", "name", "email", "body"],
        &comments,
    )
}

fn build_users() -> Resource {
    let mut rng = SplitMix64::new(0x0075_7365_7273); // "users"
    let users: Vec<User> = (1..=USERS)
        .map(|id| {
            let first = made_up_name(&mut rng);
            let last = made_up_name(&mut rng);
            let username = format!("{}{}", first.to_lowercase(), rng.range(1, 99));
            let domain = format!("{}{}.example", rng.pick(WORDS), rng.pick(WORDS));
            let email = format!("{}.{}@{domain}", first.to_lowercase(), last.to_lowercase());
            let suite = if rng.below(2) == 0 {
                format!("Apt. {}", rng.range(100, 999))
            } else {
                format!("Suite {}", rng.range(100, 999))
            };
            let phone = format!(
                "{}-{}-{} x{}",
                digits(&mut rng, 3),
                digits(&mut rng, 3),
                digits(&mut rng, 4),
                digits(&mut rng, 4)
            );
            User {
                id,
                name: format!("{first} {last}"),
                username,
                email,
                address: Address {
                    street: format!("{} {}", capitalize(rng.pick(WORDS)), rng.pick(STREET_KINDS)),
                    suite,
                    city: format!("{}{}", capitalize(rng.pick(WORDS)), rng.pick(CITY_ENDINGS)),
                    zipcode: format!("{}-{}", digits(&mut rng, 5), digits(&mut rng, 4)),
                    geo: Geo {
                        lat: coordinate(&mut rng, 90),
                        lng: coordinate(&mut rng, 180),
                    },
                },
                phone,
                website: domain,
                company: Company {
                    name: format!("{last} {}", rng.pick(COMPANY_KINDS)),
                    catch_phrase: capitalize(&words(&mut rng, 3, 4)),
                    bs: words(&mut rng, 3, 3),
                },
            }
        })
        .collect();
    Resource::from_items(
        "users",
        &[
            "id", "name", "username", "email", "address", "phone", "website", "company",
        ],
        &users,
    )
}

fn build_todos() -> Resource {
    let mut rng = SplitMix64::new(0x0074_6f64_6f73); // "todos"
    let todos: Vec<Todo> = (1..=TODOS)
        .map(|id| Todo {
            user_id: (id - 1) / 20 + 1,
            id,
            title: words(&mut rng, 3, 8),
            completed: rng.below(100) < 45,
        })
        .collect();
    Resource::from_items("todos", &["userId", "id", "title", "completed"], &todos)
}

fn build_albums() -> Resource {
    let mut rng = SplitMix64::new(0x616c_6275_6d73); // "albums"
    let albums: Vec<Album> = (1..=ALBUMS)
        .map(|id| Album {
            user_id: (id - 1) / 10 + 1,
            id,
            title: words(&mut rng, 2, 7),
        })
        .collect();
    Resource::from_items("albums", &["userId", "id", "title"], &albums)
}

/// Minimum photo title length, tuned so that `/photos` is about 1 MB.
const PHOTO_TITLE_MIN_LEN: u64 = 40;

fn build_photos() -> Resource {
    let mut rng = SplitMix64::new(0x7068_6f74_6f73); // "photos"
    let photos: Vec<Photo> = (1..=PHOTOS)
        .map(|id| {
            let min_len = rng.range(PHOTO_TITLE_MIN_LEN, PHOTO_TITLE_MIN_LEN * 2) as usize;
            let title = words_of_len(&mut rng, min_len);
            let color = hex6(&mut rng);
            Photo {
                album_id: (id - 1) / 50 + 1,
                id,
                title,
                url: format!("https://via.placeholder.invalid/600/{color}"),
                thumbnail_url: format!("https://via.placeholder.invalid/150/{color}"),
            }
        })
        .collect();
    Resource::from_items(
        "photos",
        &["albumId", "id", "title", "url", "thumbnailUrl"],
        &photos,
    )
}
