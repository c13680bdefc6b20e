package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A short-lived actor that asks several actors the same question and hands over every answer that
 * came back (the aggregator pattern of the Akka docs), so the registry itself never waits. A target
 * that stops or does not answer within the deadline is left out.
 */
public final class Collector {

  private Collector() {}

  private sealed interface Command<R> {}

  private record Answer<R>(int target, R reply) implements Command<R> {}

  /** The target stopped or the ask timed out: it will not answer. */
  private record NoAnswer<R>(int target) implements Command<R> {}

  /** What a target that stops before answering means for the collection. */
  enum WhenStopped {
    /** Not waited for: right for questions a dying actor need not answer (status). */
    SKIP,
    /**
     * Waited for until the deadline: for questions it answers on its way out (a stop report), whose
     * answer may arrive after its termination is seen.
     */
    AWAIT_ANSWER
  }

  static <T, R> Behavior<Command<R>> create(
      List<ActorRef<T>> targets,
      Function<ActorRef<R>, T> question,
      Class<R> answerType,
      Duration timeout,
      WhenStopped whenStopped,
      Consumer<List<R>> onDone) {
    return Behaviors.<Command<R>>setup(
        context -> {
          List<R> answers = new ArrayList<>();
          Set<Integer> awaited = new HashSet<>();
          for (int i = 0; i < targets.size(); i++) {
            int target = i;
            awaited.add(target);
            if (whenStopped == WhenStopped.SKIP) {
              context.watchWith(targets.get(i), new NoAnswer<>(target));
            }
            context.ask(
                answerType,
                targets.get(i),
                timeout,
                question::apply,
                (reply, failure) ->
                    reply != null ? new Answer<>(target, reply) : new NoAnswer<>(target));
          }
          if (awaited.isEmpty()) {
            onDone.accept(answers);
            return Behaviors.stopped();
          }
          return Behaviors.<Command<R>>receiveMessage(
              message -> {
                if (message instanceof Answer<R> answer && awaited.remove(answer.target())) {
                  answers.add(answer.reply());
                } else if (message instanceof NoAnswer<R> none) {
                  awaited.remove(none.target());
                }
                if (!awaited.isEmpty()) {
                  return Behaviors.same();
                }
                onDone.accept(answers);
                return Behaviors.stopped();
              });
        });
  }
}
