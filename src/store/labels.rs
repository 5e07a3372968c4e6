//! The `labels` and `milestones` tables: what a repository offers, for pickers and for
//! resolving names to the ids write APIs need.
//!
//! Invariant: after [`replace_for_repo`] the tables hold exactly the tracker's current
//! labels and milestones of that repository.

use rusqlite::Connection as Db;

use super::Result;
use crate::model::{Label, Milestone};

/// Replaces the stored labels and milestones of `repo_id` with the tracker's lists.
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn replace_for_repo(
    db: &Db,
    repo_id: i64,
    labels: &[Label],
    milestones: &[Milestone],
) -> Result<()> {
    db.prepare_cached("DELETE FROM labels WHERE repo_id = ?1")?
        .execute([repo_id])?;
    for label in labels {
        upsert_label(db, repo_id, label)?;
    }
    db.prepare_cached("DELETE FROM milestones WHERE repo_id = ?1")?
        .execute([repo_id])?;
    for milestone in milestones {
        upsert_milestone(db, repo_id, milestone)?;
    }
    Ok(())
}

/// Records one label of `repo_id`, keeping known details the new value lacks.
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn upsert_label(db: &Db, repo_id: i64, label: &Label) -> Result<()> {
    db.prepare_cached(
        "INSERT INTO labels (repo_id, name, remote_id, color, description)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (repo_id, name) DO UPDATE SET
             remote_id = coalesce(excluded.remote_id, remote_id),
             color = coalesce(excluded.color, color),
             description = coalesce(excluded.description, description)",
    )?
    .execute((
        repo_id,
        &label.name,
        label.remote_id,
        &label.color,
        &label.description,
    ))?;
    Ok(())
}

/// Records one milestone of `repo_id`.
///
/// # Errors
/// [`super::StoreError`] on a write failure.
pub fn upsert_milestone(db: &Db, repo_id: i64, milestone: &Milestone) -> Result<()> {
    db.prepare_cached(
        "INSERT INTO milestones (repo_id, remote_id, title, state, due_on)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (repo_id, remote_id) DO UPDATE SET title = excluded.title,
             state = coalesce(excluded.state, state), due_on = excluded.due_on",
    )?
    .execute((
        repo_id,
        milestone.remote_id,
        &milestone.title,
        &milestone.state,
        milestone.due_on.map(|t| t.to_string()),
    ))?;
    Ok(())
}

/// The labels of a repository, by name.
///
/// # Errors
/// [`super::StoreError`] on a read failure.
pub fn for_repo(db: &Db, repo_id: i64) -> Result<Vec<Label>> {
    let mut stmt = db.prepare_cached(
        "SELECT name, remote_id, color, description FROM labels WHERE repo_id = ?1 ORDER BY name",
    )?;
    let rows = stmt.query_map([repo_id], |r| {
        Ok(Label {
            name: r.get(0)?,
            remote_id: r.get(1)?,
            color: r.get(2)?,
            description: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The milestones of a repository, open ones first, by title.
///
/// # Errors
/// [`super::StoreError`] on a read failure.
pub fn milestones_for_repo(db: &Db, repo_id: i64) -> Result<Vec<Milestone>> {
    let mut stmt = db.prepare_cached(
        "SELECT remote_id, title, state, due_on FROM milestones WHERE repo_id = ?1
         ORDER BY coalesce(state, '') = 'closed', title",
    )?;
    let rows = stmt.query_map([repo_id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    rows.map(|row| {
        let (remote_id, title, state, due_on) = row?;
        Ok(Milestone {
            remote_id,
            title,
            state,
            due_on: super::opt_timestamp(due_on)?,
        })
    })
    .collect()
}
