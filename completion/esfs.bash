# bash completion for esfs: commands, their options and workspace names.
# Commands and options are read from esfs's own --help texts (so they
# cannot drift from the program); workspace names from
# `esfs workspace list` on the --data folder given on the line.
# Installed as share/bash-completion/completions/esfs.

_esfs_words_after() {  # the esfs command and globals typed so far
  local i
  _esfs_cmd="" _esfs_globals=() _esfs_cmd_index=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      --data | --key)
        _esfs_globals+=("${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}")
        ((i++))
        ;;
      --data=* | --key=*) _esfs_globals+=("${COMP_WORDS[i]}") ;;
      -*) ;;
      *)
        _esfs_cmd="${COMP_WORDS[i]}"
        _esfs_cmd_index=$i
        return
        ;;
    esac
  done
}

_esfs_workspaces() {
  local data_args=() i
  for ((i = 0; i < ${#_esfs_globals[@]}; i++)); do
    case "${_esfs_globals[i]}" in
      --data) data_args=(--data "${_esfs_globals[i + 1]/#\~/$HOME}") ;;
      --data=*) data_args=("--data=${_esfs_globals[i]#--data=}") ;;
    esac
  done
  "${COMP_WORDS[0]}" "${data_args[@]}" workspace list 2>/dev/null | cut -f1
}

_esfs() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD - 1]}"
  local esfs="${COMP_WORDS[0]}"
  COMPREPLY=()
  _esfs_words_after
  if [[ -z $_esfs_cmd ]]; then
    case "$prev" in
      --data) COMPREPLY=($(compgen -d -- "$cur")); return ;;
      --key) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "--data --key --help --version" -- "$cur"))
    else
      local commands
      commands=$("$esfs" --help 2>/dev/null | sed -n '/^commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p')
      COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    fi
    return
  fi
  # The position among the command's own words (options not counted).
  local i pos=0
  for ((i = _esfs_cmd_index + 1; i < COMP_CWORD; i++)); do
    [[ ${COMP_WORDS[i]} == -* ]] || ((pos++))
  done
  case "$prev" in
    --workspace) COMPREPLY=($(compgen -W "$(_esfs_workspaces)" -- "$cur")); return ;;
    --log-level) COMPREPLY=($(compgen -W "error warn info debug" -- "$cur")); return ;;
    --log-file | --out | --keypair | --content-file | --key) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --data) COMPREPLY=($(compgen -d -- "$cur")); return ;;
  esac
  if [[ $cur == -* ]]; then
    local options
    options=$("$esfs" "$_esfs_cmd" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u)
    COMPREPLY=($(compgen -W "$options --help" -- "$cur"))
    return
  fi
  case "$_esfs_cmd" in
    workspace)
      if ((pos == 0)); then
        COMPREPLY=($(compgen -W "add list edit remove-pub remove" -- "$cur"))
      elif ((pos == 1)) && [[ ${COMP_WORDS[_esfs_cmd_index + 1]} != add ]]; then
        COMPREPLY=($(compgen -W "$(_esfs_workspaces)" -- "$cur"))
      fi
      ;;
    get | put | export | import | sync)
      if ((pos == 0)); then
        COMPREPLY=($(compgen -W "$(_esfs_workspaces)" -- "$cur"))
      elif [[ $_esfs_cmd == import || ($_esfs_cmd == put && pos == 2) ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
      fi
      ;;
    mount | umount) COMPREPLY=($(compgen -d -- "$cur")) ;;
    validate | hash) COMPREPLY=($(compgen -f -- "$cur")) ;;
  esac
}

complete -F _esfs esfs
