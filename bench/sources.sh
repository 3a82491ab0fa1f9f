# Sourced by the bench scripts, from the repository's root. newer_source FILE prints the first
# source newer than FILE (a file under a src/ folder, a pom.xml or a *.bnd; build output, the
# default runtime home and .git left out), or nothing when FILE is up to date.
newer_source() {
  find . \( -path ./runtime -o -path '*/target' -o -path ./.git \) -prune -o -type f \
    \( -path '*/src/*' -o -name pom.xml -o -name '*.bnd' \) -newer "$1" -print -quit
}
