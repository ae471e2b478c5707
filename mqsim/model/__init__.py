"""The model layer: what a scenario *is*, as pure, validated data (no simulation here).

* :mod:`~mqsim.model.dist` — distributions of inter-arrival and service times, priorities;
* :mod:`~mqsim.model.arrivals` — time-varying rates and trace replay;
* :mod:`~mqsim.model.scenario` — producers, a broker queue, consumers, stages and routes;
* :mod:`~mqsim.model.kafka` — a Kafka topic and one consumer group;
* :mod:`~mqsim.model.outcomes` — what can happen to a message (shared codes);
* :mod:`~mqsim.model.yaml_io` — scenarios from plain data and YAML files;
* :mod:`~mqsim.model.validate` — the one set of input checks every layer uses.

A new broker feature starts here (a field on :class:`Queue` or :class:`Consumers`, validated
in ``__post_init__``) and is then implemented by the engines in :mod:`mqsim.sim`.
"""

from mqsim.model import arrivals, dist
from mqsim.model.kafka import ConsumerGroup, KafkaScenario, Topic
from mqsim.model.outcomes import OUTCOMES, ConservationError
from mqsim.model.overload import OverloadWarning, stability
from mqsim.model.restarts import Restarts
from mqsim.model.scenario import Consumers, Failure, Producer, Queue, Scenario, Stage
from mqsim.model.yaml_io import load_yaml, loads_yaml, scenario_from_dict

__all__ = ["Scenario", "Producer", "Queue", "Consumers", "Failure", "Stage", "Restarts", "KafkaScenario", "Topic",
           "ConsumerGroup", "OUTCOMES", "ConservationError", "OverloadWarning", "stability", "load_yaml", "loads_yaml",
           "scenario_from_dict", "dist", "arrivals"]
