-- Run once by the MySQL image, on first start with an empty data volume
-- (docker-compose.yml mounts this directory on /docker-entrypoint-initdb.d).
-- hookflow's own database, and Temporal's persistence and visibility stores.
-- The users and their grants are in 02-users.sh: their passwords come from
-- the environment, which plain SQL cannot read.
CREATE DATABASE IF NOT EXISTS `hookflow` CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS `temporal` CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS `temporal_visibility` CHARACTER SET utf8mb4;
