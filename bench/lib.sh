# Shared by the bench scripts (sourced after they cd to the project root).

# wait_for_login PORT [TRIES]: waits until the server on PORT answers its login page, twice a
# second, TRIES times at most (default 120); fails when it never does.
wait_for_login() {
  for _ in $(seq 1 "${2:-120}"); do
    curl -fs -o /dev/null "http://127.0.0.1:$1/login" && return 0
    sleep 0.5
  done
  echo "the server on port $1 did not answer" >&2
  return 1
}

# sign_in PORT EMAIL PASSWORD JAR: signs in through the login form (with its CSRF token), keeps
# the cookies in the file JAR and prints the session cookie's value; fails when there is none.
sign_in() {
  local csrf session
  csrf=$(curl -s -c "$4" -b "$4" "http://127.0.0.1:$1/login" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//;s/"//')
  curl -s -c "$4" -b "$4" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "email=$2" --data-urlencode "password=$3" \
    "http://127.0.0.1:$1/login"
  session=$(awk '$6 == "mamori_session" { print $7 }' "$4")
  [ -n "$session" ] || { echo "sign-in as $2 failed" >&2; return 1; }
  echo "$session"
}
