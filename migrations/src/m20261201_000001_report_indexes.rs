//! An index the reports need once a tenant is large (measured by `bench-report`, see
//! docs/BENCHMARKS.md): a child's pairs. The waiting list at a period's end asks, per child,
//! whether a pair began after it; without it each child scanned all the tenant's pairs.
//! (`meetings (tenant_id, held_on)` was tried too and made the last-meeting statement slower:
//! the planner then read the heap instead of the `(tenant_id, pair_id, held_on)` index alone.)

use sea_orm_migration::prelude::*;

use crate::m20261121_000001_foundation::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, [&str; 2]); 1] = [("pairs", ["tenant_id", "child_id"])];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, cols) in INDEXES {
            manager.create_index(index(table, &cols, false)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, cols) in INDEXES {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("ix_{table}_{}", cols.join("_")))
                        .table(table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
