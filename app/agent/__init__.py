"""The agents' side: queues, the case page with the customer's history, actions, replies, surveys."""
