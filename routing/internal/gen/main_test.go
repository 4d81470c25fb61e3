package main

import (
	"strings"
	"testing"
)

// A cut-down src/commands.c in the 7.0 layout: a container with its
// subcommand array, a top-level table with a summary holding commas and a
// sentinel-only entry.
const sample = `struct redisCommand CLIENT_Subcommands[] = {
{"kill","Kill, the connection","O(N)","2.4.0",CMD_DOC_NONE,NULL,NULL,COMMAND_GROUP_CONNECTION,CLIENT_KILL_History,CLIENT_KILL_tips,clientCommand,-3,CMD_ADMIN|CMD_NOSCRIPT|CMD_LOADING|CMD_STALE|CMD_SENTINEL,ACL_CATEGORY_CONNECTION,.args=CLIENT_KILL_Args},
{0}
};

struct redisCommand SENTINEL_Subcommands[] = {
{"ckquorum","Check","O(1)","2.8.4",CMD_DOC_NONE,NULL,NULL,COMMAND_GROUP_SENTINEL,H,T,sentinelCommand,3,CMD_ADMIN|CMD_SENTINEL|CMD_ONLY_SENTINEL,0},
{0}
};

struct redisCommand redisCommandTable[] = {
{"client","A container for client connection commands","Depends on subcommand.","2.4.0",CMD_DOC_NONE,NULL,NULL,COMMAND_GROUP_CONNECTION,CLIENT_History,CLIENT_tips,NULL,-2,CMD_SENTINEL,0,.subcommands=CLIENT_Subcommands},
{"xread","Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.","O(N)","5.0.0",CMD_DOC_NONE,NULL,NULL,COMMAND_GROUP_STREAM,XREAD_History,XREAD_tips,xreadCommand,-4,CMD_BLOCKING|CMD_READONLY|CMD_BLOCKING,ACL_CATEGORY_STREAM,{{NULL,0}},xreadGetKeys,.args=XREAD_Args},
{"get","Get the value of a key","O(1)","1.0.0",CMD_DOC_NONE,NULL,NULL,COMMAND_GROUP_STRING,GET_History,GET_tips,getCommand,2,CMD_READONLY|CMD_FAST,ACL_CATEGORY_STRING},
{"sentinel","A container for Sentinel commands","Depends on subcommand.","2.8.4",CMD_DOC_NONE,NULL,NULL,COMMAND_GROUP_SENTINEL,S,T,NULL,-2,CMD_ADMIN|CMD_SENTINEL|CMD_ONLY_SENTINEL,0,.subcommands=SENTINEL_Subcommands},
{0}
};
`

func TestExtract(t *testing.T) {
	got, err := extract(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"client -2 -",
		"client|kill -3 admin,loading,noscript,stale",
		"get 2 fast,readonly",
		"xread -4 blocking,readonly",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("extract:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := extract(strings.NewReader("int main(void) { return 0; }\n")); err == nil {
		t.Error("extract found commands in a file without any")
	}
}
