package org.netdrivers.support.driver;

/** A configuration field is missing or wrong. The message names the PID, the field and the problem. */
public final class InvalidConfigurationException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String pid;
    private final String field;
    private final String problem;

    private final boolean lasting;

    public InvalidConfigurationException(String pid, String field, String problem) {
        this(pid, field, problem, true);
    }

    /**
     * @param lasting false where the same configuration may be valid later without a change (a
     *     host name that does not resolve yet: the network or the name service is not up)
     */
    public InvalidConfigurationException(String pid, String field, String problem, boolean lasting) {
        super("configuration " + pid + ": field '" + field + "' " + shortened(problem));
        this.pid = pid;
        this.field = field;
        this.problem = problem;
        this.lasting = lasting;
    }

    /** @return whether only a change of the configuration can cure it (see the constructor) */
    public boolean lasting() {
        return lasting;
    }

    /** A problem quoting a huge value is cut, so that one bad field cannot flood the log. */
    private static String shortened(String problem) {
        return problem.length() <= 400 ? problem : problem.substring(0, 400) + "... (" + problem.length() + " characters)";
    }

    public String pid() {
        return pid;
    }

    public String field() {
        return field;
    }

    public String problem() {
        return problem;
    }
}
