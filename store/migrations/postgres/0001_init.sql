-- ajar's history: one row a run, its records in the tables below.
CREATE TABLE runs (
  id          BIGSERIAL PRIMARY KEY,
  kind        TEXT    NOT NULL,
  started_us  BIGINT NOT NULL,
  ended_us    BIGINT,
  complete    BIGINT NOT NULL DEFAULT 0,
  interrupted BIGINT NOT NULL DEFAULT 0,
  targets     TEXT    NOT NULL DEFAULT '',
  args        TEXT    NOT NULL DEFAULT '',
  source      TEXT    NOT NULL DEFAULT '',
  info        TEXT    NOT NULL DEFAULT '{}',
  hosts       BIGINT NOT NULL DEFAULT 0,
  hosts_up    BIGINT NOT NULL DEFAULT 0,
  open_ports  BIGINT NOT NULL DEFAULT 0,
  findings    BIGINT NOT NULL DEFAULT 0,
  sockets     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX runs_started ON runs (started_us);
CREATE TABLE hosts (
  run_id BIGINT NOT NULL, seq BIGINT NOT NULL, addr TEXT NOT NULL, name TEXT NOT NULL,
  state TEXT NOT NULL, reason TEXT NOT NULL, rtt_us BIGINT NOT NULL, mac TEXT NOT NULL
);
CREATE INDEX hosts_run ON hosts (run_id, seq);
CREATE TABLE ports (
  run_id BIGINT NOT NULL, seq BIGINT NOT NULL, addr TEXT NOT NULL, hostname TEXT NOT NULL,
  proto TEXT NOT NULL, port BIGINT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL, rtt_us BIGINT NOT NULL,
  service TEXT NOT NULL, product TEXT NOT NULL, version TEXT NOT NULL, cpe TEXT NOT NULL, service_json TEXT NOT NULL
);
CREATE INDEX ports_run ON ports (run_id, seq);
CREATE INDEX ports_key ON ports (addr, proto, port);
CREATE TABLE port_ranges (
  run_id BIGINT NOT NULL, seq BIGINT NOT NULL, addr TEXT NOT NULL, proto TEXT NOT NULL,
  state TEXT NOT NULL, reason TEXT NOT NULL, ports TEXT NOT NULL
);
CREATE INDEX port_ranges_run ON port_ranges (run_id, seq);
CREATE TABLE findings (
  run_id BIGINT NOT NULL, addr TEXT NOT NULL, proto TEXT NOT NULL, port BIGINT NOT NULL,
  finding_id TEXT NOT NULL, category TEXT NOT NULL, severity TEXT NOT NULL, title TEXT NOT NULL,
  seq BIGINT NOT NULL, finding_json TEXT NOT NULL
);
CREATE INDEX findings_run ON findings (run_id);
CREATE TABLE sockets (
  run_id BIGINT NOT NULL, seq BIGINT NOT NULL, proto TEXT NOT NULL, local_addr TEXT NOT NULL, local_port BIGINT NOT NULL,
  peer TEXT NOT NULL, state TEXT NOT NULL, inode BIGINT NOT NULL, uid BIGINT NOT NULL, username TEXT NOT NULL,
  pid BIGINT NOT NULL, process TEXT NOT NULL, cmdline TEXT NOT NULL, device TEXT NOT NULL, v6only BIGINT NOT NULL,
  exposure TEXT NOT NULL, interfaces TEXT NOT NULL, holders TEXT NOT NULL
);
CREATE INDEX sockets_run ON sockets (run_id, seq);
