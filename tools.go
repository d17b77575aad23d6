//go:build tools

package main

import (
	_ "github.com/gin-gonic/gin"
	_ "github.com/glebarez/sqlite"
	_ "github.com/go-co-op/gocron/v2"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/silenceper/wechat/v2/util"
	_ "github.com/silenceper/wechat/v2/work"
	_ "github.com/xuri/excelize/v2"
	_ "golang.org/x/text/encoding/simplifiedchinese"
	_ "gopkg.in/yaml.v3"
	_ "gorm.io/driver/mysql"
	_ "gorm.io/gorm"
)
