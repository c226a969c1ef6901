# Sourced by jobs/submit.sh and deploy/dataproc/submit.sh: reads a Spark settings file into key=value pairs.
#
#   spark_settings FILE      fills the array SPARK_SETTINGS with one "key=value" per setting
#
# The file is read the way spark-submit reads a properties file, for the forms our files use: one setting per
# line as `key value`, `key=value` or `key: value`; blank lines and lines starting with # or ! are skipped;
# white space around the value is dropped. (Backslash escapes and continuation lines are not supported.)
# Bash built-ins only, so that it runs on any machine with bash.

spark_settings() {
  local file="$1" line key value n=0
  SPARK_SETTINGS=()
  if [ ! -f "$file" ]; then
    echo "diffsweep: Spark settings file $file not found" >&2
    return 2
  fi
  local re='^([^[:space:]=:]+)[[:space:]]*[=:[:space:]][[:space:]]*(.*)$'
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line="${line#"${line%%[![:space:]]*}"}"
    case "$line" in '' | '#'* | '!'*) continue ;; esac
    if [[ ! "$line" =~ $re ]]; then
      echo "diffsweep: $file line $n: expected 'key value', got '$line'" >&2
      return 2
    fi
    key="${BASH_REMATCH[1]}"
    value="${BASH_REMATCH[2]}"
    value="${value%"${value##*[![:space:]]}"}"
    SPARK_SETTINGS+=("$key=$value")
  done < "$file"
}
