-- The privileges feegate's own database account needs, and no more: read
-- the billing schema; read and write its own tables; append to the audit
-- trail but never change or delete a row of it. Run as an administrator
-- after `feegate db migrate` (which an administrator runs too), with the
-- names set first:
--
--   mariadb -e "SET @gw = 'feegate', @bill = 'billing',
--               @account = '''feegate''@''localhost'''; SOURCE sql/grants.sql"
--
-- (create the account first: CREATE USER 'feegate'@'localhost'
-- IDENTIFIED BY '...'). The integration tests run feegate under exactly
-- these grants. SHOW VIEW on billing lets `feegate billing check` show
-- how MariaDB plans the night's reads through views (EXPLAIN of a view
-- needs it); nothing else uses it, and a utility may leave it out.
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, SHOW VIEW ON `', @bill, '`.* TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT CREATE TEMPORARY TABLES ON `', @gw, '`.* TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT ON `', @gw, '`.schema_migrations TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT ON `', @gw, '`.notice_log TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT ON `', @gw, '`.audit_log TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, UPDATE ON `', @gw, '`.audit_head TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT ON `', @gw, '`.audit_checkpoints TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, DELETE ON `', @gw, '`.access_log TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT ON `', @gw, '`.staff_login_failures TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE ON `', @gw, '`.staff_sessions TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, UPDATE ON `', @gw, '`.nights TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE ON `', @gw, '`.dunning_cases TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE ON `', @gw, '`.notices TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, DELETE ON `', @gw, '`.notice_outages TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, DELETE ON `', @gw, '`.notice_requests TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE ON `', @gw, '`.messages TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE ON `', @gw, '`.message_texts TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE ON `', @gw, '`.message_batches TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE ON `', @gw, '`.collection_tasks TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE ON `', @gw, '`.input_errors TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, UPDATE ON `', @gw, '`.contact_blocks TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, UPDATE ON `', @gw, '`.outages TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, UPDATE ON `', @gw, '`.outage_versions TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, UPDATE ON `', @gw, '`.staff TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT ON `', @gw, '`.audit_checks TO ', @account);
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, DELETE ON `', @gw, '`.commit_marks TO ', @account);
-- Retention (feegate purge): old history removed, in small transactions.
EXECUTE IMMEDIATE CONCAT('GRANT SELECT, INSERT, UPDATE ON `', @gw, '`.purge_marks TO ', @account);
-- Where the gateway's server is a replica of the billing server ([database]
-- billing_replica), feegate reads the replication's lag: set @replica = 1
-- too, for SLAVE MONITOR (SHOW ALL SLAVES STATUS, nothing more).
EXECUTE IMMEDIATE IF(@replica = 1,
  CONCAT('GRANT SLAVE MONITOR ON *.* TO ', @account), 'DO 0');
