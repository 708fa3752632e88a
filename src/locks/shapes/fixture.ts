/**
 * The standard fixture the verifications start from: a referenced table `p`, and a table `t`
 * with a primary key, two secondary indexes and 2,000 rows (enough for scans to register).
 */
export const BASE_SETUP = [
  'CREATE TABLE p (id bigint PRIMARY KEY)',
  'INSERT INTO p SELECT g FROM generate_series(1, 2000) g',
  'CREATE TABLE t (id bigint PRIMARY KEY, p_id bigint, a int, v varchar(10), n numeric(10,2), ts timestamp, note text)',
  "INSERT INTO t SELECT g, g, g, 'v' || g, g, timestamp '2020-01-01' + g * interval '1 minute', 'x' FROM generate_series(1, 2000) g",
  'CREATE INDEX t_a_idx ON t (a)',
  'CREATE INDEX t_v_idx ON t (v)',
];

export const T_INDEXES = ['t_pkey', 't_a_idx', 't_v_idx'];

/** `t` and all its indexes. */
export const T = { table: 't', indexes: T_INDEXES } as const;

/** The fixture plus a validated foreign key t.p_id → p.id. */
export const WITH_FK = [
  ...BASE_SETUP,
  'ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p_id) REFERENCES p (id)',
];

/** A range-partitioned table `m` and a standalone table `m_1` that fits its first partition. */
export const PARTITIONED_SETUP = [
  'CREATE TABLE m (k int NOT NULL, v int) PARTITION BY RANGE (k)',
  'CREATE TABLE m_0 PARTITION OF m FOR VALUES FROM (-10000) TO (0)',
  'CREATE TABLE m_1 (k int NOT NULL, v int)',
  'INSERT INTO m_1 SELECT g, g FROM generate_series(1, 2000) g',
  'INSERT INTO m SELECT -g, g FROM generate_series(1, 2000) g',
];
