package models

import (
	"database/sql"
	"fmt"

	mysqldriver "github.com/go-sql-driver/mysql"
)

// CreateDatabase (re)creates, empty, the MySQL database that dsn names, and
// returns a function that drops it. Tests, benchmarks and the soak use it
// for scratch databases beside the server's others.
func CreateDatabase(dsn string) (drop func() error, err error) {
	cfg, err := mysqldriver.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("models: DSN: %w", err)
	}
	if cfg.DBName == "" {
		return nil, fmt.Errorf("models: the DSN names no database")
	}
	name := cfg.DBName
	admin := cfg.Clone()
	admin.DBName = ""
	db, err := sql.Open("mysql", admin.FormatDSN())
	if err != nil {
		return nil, err
	}
	for _, stmt := range []string{
		"DROP DATABASE IF EXISTS `" + name + "`",
		"CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
	} {
		if _, err := db.Exec(stmt); err != nil {
			db.Close()
			return nil, fmt.Errorf("models: create database %s: %w", name, err)
		}
	}
	return func() error {
		defer db.Close()
		_, err := db.Exec("DROP DATABASE IF EXISTS `" + name + "`")
		return err
	}, nil
}
