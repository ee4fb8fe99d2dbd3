#!/bin/sh
# One-shot setup of the Temporal namespace for hookflow (the temporal-setup
# service in docker-compose.yml, run with temporalio/admin-tools): waits
# for the namespace, then registers hookflow's custom search attributes
# (workflows/searchattributes.go), so deliveries can be found in the Web UI
# by webhook, event type and status, and keeps closed workflows for
# TEMPORAL_RETENTION (default 168h) instead of auto-setup's 24 hours. Safe
# to run again: attributes that already exist with the right type are left
# alone.
set -eu

address=${TEMPORAL_ADDRESS:-temporal:7233}
namespace=${TEMPORAL_NAMESPACE:-default}
retention=${TEMPORAL_RETENTION:-168h}

tries=0
until temporal operator search-attribute list --address "$address" --namespace "$namespace" >/dev/null 2>&1; do
	tries=$((tries + 1))
	if [ "$tries" -ge 150 ]; then
		echo "namespace $namespace on $address is not ready after 5 minutes" >&2
		exit 1
	fi
	echo "waiting for namespace $namespace on $address"
	sleep 2
done

if ! out=$(temporal operator search-attribute create --address "$address" --namespace "$namespace" \
	--name WebhookId --type KeywordList \
	--name EventType --type Keyword \
	--name DeliveryStatus --type Keyword 2>&1); then
	echo "$out" >&2
	case $out in
	*"different type"*) exit 1 ;; # registered before with another type: fix by hand
	esac
	echo "create failed; checking whether the attributes exist already" >&2
fi

list=$(temporal operator search-attribute list --address "$address" --namespace "$namespace")
for name in WebhookId EventType DeliveryStatus; do
	if ! printf '%s\n' "$list" | grep -qw "$name"; then
		echo "search attribute $name is missing in namespace $namespace" >&2
		exit 1
	fi
done
echo "search attributes WebhookId, EventType and DeliveryStatus are registered in namespace $namespace"

# Not fatal: deliveries work with any retention; it only limits how long
# finished ones stay visible in the Web UI.
temporal operator namespace update --address "$address" --namespace "$namespace" --retention "$retention" ||
	echo "could not set the retention of namespace $namespace to $retention; set it with: temporal operator namespace update" >&2
